/* ctl-client: talks to a container VMM's control socket (common/ctl.h), for the
 * tests and by hand. One request per run:
 *
 *   ctl-client SOCK status | start | pause | resume | ps
 *   ctl-client SOCK kill [--all] [--proc N] SIGNO
 *   ctl-client SOCK resize ROWS COLS
 *   ctl-client SOCK exec --uds PREFIX [--port P] [--proc N] [--env K=V]... -- ARGS...
 *   ctl-client SOCK raw TYPE [HEXPAYLOAD]   any message; prints what comes back
 *
 * exec is a small exec proxy: it listens on "PREFIX_P" .. P+2 for the process's
 * stdin/stdout/stderr, sends EXEC, relays its own fds 0/1/2, and exits with the
 * process's status (128+N for a signal). Errors: the guest's message on stderr,
 * exit 1 (exec: 125); no answer within CTL_CLIENT_TIMEOUT seconds (300): 124. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_client.h"
#include "common/ctl.h"
#include "common/proto.h"
#include "common/util.h"

static int ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "ctl-client: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Sends b and waits for the message with id; events on the way are dropped. */
static int call(int fd, struct proto_buf *b, uint32_t id, struct proto_hdr *h, uint8_t **p)
{
	int ret = proto_send(fd, b);

	while (!ret) {
		ret = proto_recv(fd, h, p);
		if (ret || h->id == id)
			break;
		free(*p);
	}
	return ret;
}

static int result(int fd, struct proto_buf *b, uint32_t id, struct proto_result *r)
{
	struct proto_hdr h;
	uint8_t *p = NULL;
	int ret = call(fd, b, id, &h, &p);

	if (!ret)
		ret = h.type == PROTO_RESULT ? proto_dec_result(p, h.len, r) : -EPROTO;
	free(p);
	if (ret)
		fprintf(stderr, "ctl-client: %s\n", strerror(-ret));
	return ret;
}

static int simple(int fd, uint16_t type)
{
	struct proto_result r;
	struct proto_buf b;

	proto_buf_init(&b);
	proto_enc_empty(&b, type, 1);
	if (result(fd, &b, 1, &r))
		return 1;
	if (r.err) {
		fprintf(stderr, "ctl-client: %s (%s)\n", r.msg, strerror(-r.err));
		return 1;
	}
	if (r.msg[0])
		printf("%s\n", r.msg);
	return 0;
}

static int ps(int fd)
{
	uint32_t pids[4096], n = 0;
	struct proto_buf b;
	struct proto_hdr h;
	uint8_t *p = NULL;
	int ret;

	proto_buf_init(&b);
	proto_enc_empty(&b, PROTO_PS, 7);
	ret = call(fd, &b, 7, &h, &p);
	if (!ret && h.type == PROTO_PS_RESULT)
		ret = proto_dec_ps_result(p, h.len, pids, 4096, &n);
	else if (!ret)
		ret = -EPROTO;
	free(p);
	if (ret) {
		fprintf(stderr, "ctl-client: ps: %s\n", strerror(-ret));
		return 1;
	}
	for (uint32_t i = 0; i < n && i < 4096; i++)
		printf("%s%u", i ? " " : "", pids[i]);
	printf("\n");
	return 0;
}

static int checked(int fd, struct proto_buf *b)
{
	struct proto_result r;

	if (result(fd, b, 1, &r))
		return 1;
	if (r.err)
		fprintf(stderr, "ctl-client: %s (%s)\n", r.msg, strerror(-r.err));
	return r.err ? 1 : 0;
}

static int kill_cmd(int fd, int argc, char **argv)
{
	struct proto_signal s = { 0 };
	struct proto_buf b;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--all"))
			s.flags |= PROTO_SIGNAL_ALL;
		else if (!strcmp(argv[i], "--proc") && i + 1 < argc)
			s.proc_id = (uint32_t)strtoul(argv[++i], NULL, 10);
		else
			s.signo = (uint32_t)strtoul(argv[i], NULL, 10);
	}
	proto_buf_init(&b);
	proto_enc_signal(&b, 1, &s);
	return checked(fd, &b);
}

static int raw(int fd, int argc, char **argv)
{
	struct proto_buf b;
	struct proto_hdr h;
	uint8_t *p = NULL;
	int ret;

	if (argc < 1)
		return 2;
	proto_buf_init(&b);
	proto_begin(&b, (uint16_t)strtoul(argv[0], NULL, 0), 5);
	for (const char *x = argc > 1 ? argv[1] : ""; x[0] && x[1]; x += 2) {
		unsigned v;

		sscanf(x, "%2x", &v);
		proto_put_u16(&b, 0); /* room, then the byte */
		b.len -= 2;
		b.data[b.len++] = (uint8_t)v;
	}
	proto_end(&b);
	ret = proto_send(fd, &b);
	if (!ret)
		ret = proto_recv(fd, &h, &p);
	if (ret) {
		printf("closed: %s\n", strerror(-ret));
		return 0;
	}
	if (h.type == PROTO_RESULT) {
		struct proto_result r;

		if (!proto_dec_result(p, h.len, &r))
			printf("result %d %s\n", r.err, r.msg);
	} else {
		printf("type %u id %u len %u\n", h.type, h.id, h.len);
	}
	free(p);
	return 0;
}

/* ---- exec ------------------------------------------------------------------------------- */

struct pipe_end {
	int from, to;
	bool shut; /* shutdown(to) at EOF instead of close */
};

static void pump(struct pipe_end *e)
{
	char buf[65536];
	ssize_t n = read(e->from, buf, sizeof(buf));

	if (n > 0 && util_write_full(e->to, buf, (size_t)n) == 0)
		return;
	if (e->shut)
		shutdown(e->to, SHUT_WR);
	else
		close(e->to);
	close(e->from);
	e->from = -1;
}

static int exec_cmd(int fd, int argc, char **argv)
{
	static const char *env[64] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	};
	struct proto_exec e = { 0 };
	const char *uds = NULL;
	uint32_t port = CTL_EXEC_PORT_MIN, n_env = 1;
	int lfd[3], sock[3], i;
	struct proto_result r;
	struct proto_buf b;

	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	e.proc_id = CTL_EXEC_PROC_MIN + (uint32_t)(rand() % 100000);
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--uds") && i + 1 < argc)
			uds = argv[++i];
		else if (!strcmp(argv[i], "--port") && i + 1 < argc)
			port = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--proc") && i + 1 < argc)
			e.proc_id = (uint32_t)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--env") && i + 1 < argc && n_env < 64)
			env[n_env++] = argv[++i];
		else
			return 2;
	}
	if (!uds || i + 1 >= argc)
		return 2;
	e.process.args = (struct proto_strv){ (uint32_t)(argc - i - 1),
					      (const char **)argv + i + 1 };
	e.process.env = (struct proto_strv){ n_env, env };
	e.process.cwd = "/";
	for (int k = 0; k < 3; k++) {
		e.process.stdio[k] = port + (uint32_t)k;
		if (agent_listen(uds, port + (uint32_t)k, &lfd[k])) {
			fprintf(stderr, "ctl-client: cannot listen on %s_%u\n", uds, port + k);
			return 125;
		}
	}
	proto_buf_init(&b);
	proto_enc_exec(&b, 1, &e);
	if (result(fd, &b, 1, &r))
		return 125;
	if (r.err) {
		fprintf(stderr, "ctl-client: exec: %s\n", r.msg);
		return 125;
	}
	for (int k = 0; k < 3; k++) {
		char path[128];

		if (agent_accept(lfd[k], 10000, &sock[k]))
			return 125;
		close(lfd[k]);
		proto_port_path(path, sizeof(path), uds, port + (uint32_t)k);
		unlink(path);
	}
	struct pipe_end ends[3] = {
		{ 0, sock[0], true }, { sock[1], 1, false }, { sock[2], 2, false }
	};
	struct proto_exit ex;
	bool have_exit = false;

	while (!have_exit || ends[1].from >= 0 || ends[2].from >= 0) {
		struct pollfd pf[4];

		for (int k = 0; k < 3; k++)
			pf[k] = (struct pollfd){ .fd = ends[k].from, .events = POLLIN };
		pf[3] = (struct pollfd){ .fd = have_exit ? -1 : fd, .events = POLLIN };
		if (poll(pf, 4, -1) < 0 && errno != EINTR)
			return 125;
		for (int k = 0; k < 3; k++)
			if (pf[k].revents)
				pump(&ends[k]);
		if (pf[3].revents) {
			struct proto_hdr h;
			uint8_t *p = NULL;

			if (proto_recv(fd, &h, &p)) {
				fprintf(stderr, "ctl-client: the VMM closed the connection\n");
				return 125;
			}
			if (h.type == PROTO_EXIT && !proto_dec_exit(p, h.len, &ex) &&
			    ex.proc_id == e.proc_id)
				have_exit = true;
			free(p);
		}
	}
	return proto_exit_status(&ex);
}

static const char *watched_request = "?";

/* A test must fail, not hang: no answer (or no exit, for exec) within the limit
 * ends us with 124 and says what we waited for. */
static void on_alarm(int sig)
{
	static const char msg[] = "ctl-client: timed out waiting for the answer to ";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)!write(STDERR_FILENO, watched_request, strlen(watched_request));
	(void)!write(STDERR_FILENO, "\n", 1);
	_exit(124);
}

int main(int argc, char **argv)
{
	const char *limit = getenv("CTL_CLIENT_TIMEOUT");
	struct proto_buf b;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3)
		watched_request = argv[2];
	signal(SIGALRM, on_alarm);
	alarm(limit ? (unsigned)atoi(limit) : 300);
	if (argc < 3) {
		fprintf(stderr, "usage: ctl-client SOCK status|start|pause|resume|ps|kill|resize|"
				"exec|raw ...\n");
		return 2;
	}
	fd = ctl_connect(argv[1]);
	if (!strcmp(argv[2], "status"))
		return simple(fd, CTL_STATUS);
	if (!strcmp(argv[2], "start"))
		return simple(fd, PROTO_START);
	if (!strcmp(argv[2], "pause"))
		return simple(fd, CTL_PAUSE);
	if (!strcmp(argv[2], "resume"))
		return simple(fd, CTL_RESUME);
	if (!strcmp(argv[2], "ps"))
		return ps(fd);
	if (!strcmp(argv[2], "kill"))
		return kill_cmd(fd, argc - 3, argv + 3);
	if (!strcmp(argv[2], "resize") && argc == 5) {
		struct proto_resize rz = { 0, (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]) };

		proto_buf_init(&b);
		proto_enc_resize(&b, 1, &rz);
		return checked(fd, &b);
	}
	if (!strcmp(argv[2], "exec"))
		return exec_cmd(fd, argc - 3, argv + 3);
	if (!strcmp(argv[2], "raw"))
		return raw(fd, argc - 3, argv + 3);
	fprintf(stderr, "ctl-client: unknown command %s\n", argv[2]);
	return 2;
}
