/* agent-client: drives one runvm-init session from the host side, the way the
 * runtime will: listen on PREFIX_<port>, start the agent (a bare-machine
 * `runvm-init --agent-unix PREFIX` or a VM with `--vsock-uds PREFIX`), create and
 * start a container from options, relay our stdio to its streams, run the
 * requested actions (exec, signal, resize, ps), wait for its EXIT, and exit like
 * the container did.
 *
 *   agent-client --prefix P --agent CMD --rootfs DIR [options] -- ARGS...
 *
 * Session options: --timeout S, --tty RxC, --no-stdin, --resize RxC,
 * --exec CMD (sh -c CMD as an exec process, after start; its exit is printed on
 * stderr as "exec: exit N"), --exec-cmd PROG (PROG itself), --exec-user U:G, --exec-tty, --ps, --signal MS:SIG,
 * --signal-all MS:SIG, --status FILE ("exit N" / "signal N" / "create-error: MSG"),
 * --timing, --extra in|out|both:FD|null (repeatable: the init's next extra fd,
 * 3 and up, relayed to our FD in that direction, or /dev/null). Spec options: client_spec.c. Exit status: the container's, 125 when
 * it could not run, 124 on timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/agent_client.h"
#include "common/util.h"
#include "tests/agent/client.h"

#define PORT_INIT 1025 /* stdin (or console), stdout, stderr: 1025..1027 */
#define PORT_EXEC 1035
#define PORT_EXTRA 1040 /* the init's extra fds: 1040 + i */
#define EXEC_ID 1
#define MAX_STREAMS (8 + 2 * PROTO_MAX_EXTRA_FDS)

struct stream {
	int src, dst;
	uint32_t port; /* of its vsock stream, for diagnostics */
	bool src_eof, done, out; /* out: guest -> us */
	bool end_dst; /* at the end, shut dst down and close it (an extra fd of ours) */
	size_t head, tail;
	char buf[65536];
};

struct opts {
	const char *prefix, *agent, *status, *exec, *exec_user;
	bool exec_direct; /* exec runs CMD itself, not sh -c CMD */
	int timeout, signal_ms, signal, signal_all;
	bool no_stdin, ps, exec_tty, timing;
	uint16_t resize_rows, resize_cols;
	int extra_fd[PROTO_MAX_EXTRA_FDS]; /* --extra: our fd for each, -1 for null */
};

static struct stream streams[MAX_STREAMS];
static int nstreams;
static pid_t agent_pid = -1;
static FILE *status_file;

static uint64_t now_ms(void)
{
	return util_now_ns() / 1000000;
}

/* What the client waits for, and the steps so far with their times: composed
 * when a wait begins, so that the watchdog (a signal handler) only writes it. */
static uint64_t start_ms;
static char trail[2048], diag[2560];
static size_t trail_len;
static int diag_len, timeout_s;

static void waiting(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void waiting(const char *fmt, ...)
{
	char what[128];
	uint64_t t = now_ms() - start_ms;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	n = snprintf(trail + trail_len, sizeof(trail) - trail_len, "%s%llu.%03llu %s",
		     trail_len ? ", " : "", (unsigned long long)(t / 1000),
		     (unsigned long long)(t % 1000), what);
	if (n > 0)
		trail_len = MIN(trail_len + (size_t)n, sizeof(trail) - 1);
	n = snprintf(diag, sizeof(diag),
		     "agent-client: timed out after %d s waiting for %s (steps, s since start: %s)\n",
		     timeout_s, what, trail);
	diag_len = n < 0 ? 0 : MIN(n, (int)sizeof(diag) - 1);
}

static uint64_t deadline;

/* What is left of the session's time, for one wait. */
static int left_ms(void)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)MIN(deadline - now, (uint64_t)INT32_MAX);
}

/* SIGALRM is the last resort, for a wait that does not end by itself (a message
 * that stops halfway, a write the guest never drains): say what we waited for,
 * stop the agent and go. SIGTERM and the like (a test's timeout) stop the agent
 * too: the VMM is the shell's child, not ours, so PDEATHSIG does not reach it.
 * Only async-signal-safe calls. */
static void watchdog(int sig)
{
	static const char st[] = "timeout\n";

	if (sig == SIGALRM && (write(2, diag, (size_t)diag_len) < 0 ||
	    (status_file && write(fileno(status_file), st, sizeof(st) - 1) < 0)))
		(void)0;
	if (agent_pid > 0)
		kill(-agent_pid, SIGKILL);
	_exit(sig == SIGALRM ? 124 : 128 + sig);
}

static void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report(const char *fmt, ...)
{
	va_list ap;

	if (!status_file)
		return;
	va_start(ap, fmt);
	vfprintf(status_file, fmt, ap);
	va_end(ap);
	fflush(status_file);
}

static void add_stream(int src, int dst, bool out, uint32_t port)
{
	struct stream *s = &streams[nstreams++];

	memset(s, 0, sizeof(*s));
	s->port = port;
	s->src = src;
	s->dst = dst;
	s->out = out;
	/* Our own stdio stays blocking; the sockets do not block the loop. */
	fcntl(out ? src : dst, F_SETFL, O_NONBLOCK);
}

static void stream_close(struct stream *s)
{
	if ((!s->out || s->end_dst) && s->dst >= 0)
		shutdown(s->dst, SHUT_WR);
	if (s->end_dst && !s->done && s->dst >= 0) {
		close(s->dst);
		s->dst = -1;
	}
	s->done = true;
	s->head = s->tail = 0;
}

static void stream_pump(struct stream *s, short rev_src, short rev_dst)
{
	if (s->done)
		return;
	if (rev_dst && s->head < s->tail) {
		ssize_t n = write(s->dst, s->buf + s->head, s->tail - s->head);

		if (n > 0)
			s->head += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			return stream_close(s);
	}
	if (s->head == s->tail)
		s->head = s->tail = 0;
	if (rev_src && !s->src_eof && s->tail < sizeof(s->buf)) {
		ssize_t n = read(s->src, s->buf + s->tail, sizeof(s->buf) - s->tail);

		if (n > 0)
			s->tail += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			s->src_eof = true;
	}
	if (s->src_eof && s->head == s->tail)
		stream_close(s);
}

static int listen_port(const char *prefix, uint32_t port)
{
	int fd, ret = agent_listen(prefix, port, &fd);

	if (ret) {
		fprintf(stderr, "agent-client: listen %s_%u: %s\n", prefix, port, strerror(-ret));
		exit(125);
	}
	return fd;
}

static int accept_port(int lfd, uint32_t port, const char *what)
{
	int fd = -1, ret;

	waiting("the %s connection on port %u", what, port);
	ret = agent_accept(lfd, left_ms(), &fd);

	if (ret)
		fprintf(stderr, "agent-client: no connection on port %u: %s\n", port, strerror(-ret));
	close(lfd);
	return fd;
}

static void spawn_agent(const char *cmd, const char *prefix)
{
	agent_pid = fork();
	if (agent_pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		/* Its own process group, so that a timeout can stop all of it; and it
		 * goes when we go, whatever kills us. */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		dup2(null, 0);
		setenv("RUNVM_PREFIX", prefix, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	/* Here too: a kill of the group must not find it not yet made. */
	if (agent_pid > 0)
		setpgid(agent_pid, agent_pid);
}

static int finish_agent(uint64_t deadline_ms)
{
	int st = 0;

	if (agent_pid < 0)
		return 0;
	waiting("the agent's exit");
	while (waitpid(agent_pid, &st, WNOHANG) == 0) {
		if (now_ms() > deadline_ms) {
			kill(-agent_pid, SIGKILL);
			waitpid(agent_pid, &st, 0);
			break;
		}
		usleep(10000);
	}
	agent_pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void usage(void)
{
	fprintf(stderr, "usage: agent-client --prefix P [--agent CMD] --rootfs DIR [options] -- ARGS...\n");
	exit(2);
}

static void parse_size(const char *v, uint16_t *rows, uint16_t *cols)
{
	unsigned r, c;

	if (sscanf(v, "%ux%u", &r, &c) != 2)
		usage();
	*rows = (uint16_t)r;
	*cols = (uint16_t)c;
}

static const char *const session_opts[] = {
	"--prefix", "--agent", "--status", "--exec", "--exec-cmd", "--exec-user", "--timeout", "--tty",
	"--resize", "--signal", "--signal-all", "--extra", NULL,
};

/* --extra DIR:FD or DIR:null: the init's next extra fd. */
static void parse_extra(struct opts *o, struct proto_process *p, const char *v)
{
	static const char *const dirs[] = { [PROTO_EXTRA_IN] = "in", [PROTO_EXTRA_OUT] = "out",
					    [PROTO_EXTRA_BOTH] = "both" };
	const char *colon = strchr(v, ':');
	uint32_t i = p->n_extra, d;

	if (!colon || i == PROTO_MAX_EXTRA_FDS)
		usage();
	for (d = PROTO_EXTRA_IN; d <= PROTO_EXTRA_BOTH; d++)
		if (strlen(dirs[d]) == (size_t)(colon - v) && !strncmp(v, dirs[d], strlen(dirs[d])))
			break;
	if (d > PROTO_EXTRA_BOTH)
		usage();
	o->extra_fd[i] = strcmp(colon + 1, "null") ? atoi(colon + 1) : -1;
	/* Ours alone: the agent we start must not hold a copy (no EOF then). */
	if (o->extra_fd[i] >= 0 && fcntl(o->extra_fd[i], F_SETFD, FD_CLOEXEC))
		usage();
	p->extra[i] = (struct proto_extra_fd){ d, o->extra_fd[i] < 0 ? 0 : PORT_EXTRA + i };
	p->n_extra++;
}

static void parse_session(struct opts *o, struct proto_process *p, const char *name, const char *v)
{
	if (!strcmp(name, "--prefix"))
		o->prefix = v;
	else if (!strcmp(name, "--agent"))
		o->agent = v;
	else if (!strcmp(name, "--status"))
		o->status = v;
	else if (!strcmp(name, "--exec") || !strcmp(name, "--exec-cmd")) {
		o->exec = v;
		o->exec_direct = !strcmp(name, "--exec-cmd");
	}
	else if (!strcmp(name, "--exec-user"))
		o->exec_user = v;
	else if (!strcmp(name, "--timeout"))
		o->timeout = atoi(v);
	else if (!strcmp(name, "--tty")) {
		p->flags |= PROTO_PROC_TERMINAL;
		parse_size(v, &p->rows, &p->cols);
	} else if (!strcmp(name, "--resize"))
		parse_size(v, &o->resize_rows, &o->resize_cols);
	else if (!strcmp(name, "--extra"))
		parse_extra(o, p, v);
	else if (sscanf(v, "%d:%d", &o->signal_ms, !strcmp(name, "--signal") ? &o->signal
										: &o->signal_all) != 2)
		usage();
}

static int parse_args(int argc, char **argv, struct opts *o, struct proto_spec *s,
		      struct proto_process *p)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool session = false;

		for (const char *const *n = session_opts; *n; n++)
			session |= !strcmp(*n, a);
		if (!strcmp(a, "--no-stdin"))
			o->no_stdin = true;
		else if (!strcmp(a, "--ps"))
			o->ps = true;
		else if (!strcmp(a, "--exec-tty"))
			o->exec_tty = true;
		else if (!strcmp(a, "--timing"))
			o->timing = true;
		else if (!client_spec_flag(s, p, a))
			continue;
		else if (!v)
			usage();
		else if (session && ++i)
			parse_session(o, p, a, v);
		else if (client_spec_option(s, p, a, v) == 0)
			i++;
		else
			usage();
	}
	if (i >= argc - 1 || !o->prefix)
		usage();
	p->args = (struct proto_strv){ (uint32_t)(argc - i - 1), (const char **)argv + i + 1 };
	return 0;
}

/* The exec process: sh -c CMD with the init's environment and a user. */
static int run_exec(struct agent_conn *c, const struct opts *o, const struct proto_process *ip,
		    int lfd[3])
{
	static const char *argv[4];
	struct proto_exec e = { .proc_id = EXEC_ID, .process = *ip };
	struct proto_result res;
	int ret, n = o->exec_tty ? 1 : 3;

	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = o->exec;
	e.process.args = o->exec_direct ? (struct proto_strv){ 1, &argv[2] }
					: (struct proto_strv){ 3, argv };
	e.process.flags &= ~PROTO_PROC_TERMINAL;
	if (o->exec_tty) {
		e.process.flags |= PROTO_PROC_TERMINAL;
		e.process.rows = 24;
		e.process.cols = 80;
	}
	if (o->exec_user && sscanf(o->exec_user, "%u:%u", &e.process.uid, &e.process.gid) != 2)
		usage();
	for (int i = 0; i < 3; i++)
		e.process.stdio[i] = i < n ? PORT_EXEC + (uint32_t)i : 0;
	waiting("the EXEC result");
	c->timeout_ms = left_ms();
	ret = agent_exec(c, &e, &res);
	if (ret || res.err) {
		fprintf(stderr, "agent-client: exec: %s\n", ret ? strerror(-ret) : res.msg);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int fd = accept_port(lfd[i], PORT_EXEC + (uint32_t)i, "exec stdio");

		if (fd < 0)
			return -1;
		if (i == 0) {
			int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

			add_stream(null, fd, false, PORT_EXEC);
			if (n == 1)
				add_stream(dup(fd), 1, true, PORT_EXEC);
		} else {
			add_stream(fd, i, true, PORT_EXEC + (uint32_t)i);
		}
	}
	return 0;
}

static void print_ps(struct agent_conn *c)
{
	uint32_t pids[256], n = 0;
	int ret;

	waiting("the PS result");
	c->timeout_ms = left_ms();
	ret = agent_ps(c, pids, 256, &n);

	fprintf(stderr, "ps:");
	for (uint32_t i = 0; !ret && i < n && i < 256; i++)
		fprintf(stderr, " %u", pids[i]);
	fprintf(stderr, ret ? " error %s\n" : "\n", strerror(-ret));
}

struct session {
	bool exec_done, ps_done, signalled, got_exit;
	int status;
};

/* The actions that wait for something: ps after the exec, a signal after a delay. */
static void actions(struct agent_conn *c, const struct opts *o, struct session *ss, uint64_t t0)
{
	struct proto_result res;

	if (!ss->ps_done && ss->exec_done) {
		print_ps(c);
		ss->ps_done = true;
	}
	if (!ss->signalled && now_ms() >= t0 + (uint64_t)o->signal_ms) {
		waiting("the SIGNAL result");
		c->timeout_ms = left_ms();
		agent_signal(c, o->signal ? PROTO_INIT_PROC : 0, o->signal ? o->signal : o->signal_all,
			     o->signal ? 0 : PROTO_SIGNAL_ALL, &res);
		ss->signalled = true;
	}
}

/* Takes the events that have arrived; -1 when the connection failed. */
static int take_events(struct agent_conn *c, struct session *ss)
{
	struct agent_event ev;

	while (!ss->got_exit) {
		int ret = agent_next_event(c, 0, &ev);

		if (ret == -ETIMEDOUT)
			return 0;
		if (ret) {
			fprintf(stderr, "agent-client: control connection: %s\n", strerror(-ret));
			report("agent-error: %s\n", strerror(-ret));
			return -1;
		}
		if (ev.type == PROTO_OOM)
			fprintf(stderr, "agent-client: oom %llu\n", (unsigned long long)ev.oom.count);
		if (ev.type != PROTO_EXIT)
			continue;
		if (ev.exit.proc_id == EXEC_ID) {
			fprintf(stderr, "exec: %s %d\n", ev.exit.signaled ? "signal" : "exit", ev.exit.code);
			ss->exec_done = true;
			continue;
		}
		ss->status = proto_exit_status(&ev.exit);
		report("%s %d\n", ev.exit.signaled ? "signal" : "exit", ev.exit.code);
		ss->got_exit = true;
		/* Nothing more goes in once the container is over. */
		for (int i = 0; i < nstreams; i++)
			if (!streams[i].out)
				stream_close(&streams[i]);
	}
	return 0;
}

/* Two pollfds per stream (source, destination); returns how many outputs are open. */
static int stream_pollfds(struct pollfd *pfd)
{
	int open_out = 0;

	for (int i = 0; i < nstreams; i++) {
		struct stream *s = &streams[i];
		bool rd = !s->done && !s->src_eof && s->tail < sizeof(s->buf);
		bool wr = !s->done && s->head < s->tail;

		open_out += s->out && !s->done;
		pfd[2 * i] = (struct pollfd){ .fd = rd ? s->src : -1, .events = POLLIN };
		pfd[2 * i + 1] = (struct pollfd){ .fd = wr ? s->dst : -1, .events = POLLOUT };
	}
	return open_out;
}

/* A session that ran out of time: what it still waited for. */
static int session_timeout(const struct session *ss)
{
	char ports[96] = "";
	size_t n = 0;

	for (int i = 0; i < nstreams; i++)
		if (streams[i].out && !streams[i].done && n < sizeof(ports))
			n += (size_t)snprintf(ports + n, sizeof(ports) - n, " %u", streams[i].port);
	waiting("%s%s%s%s", ss->got_exit ? "" : "the init's EXIT", !ss->got_exit && n ? " and " : "",
		n ? "the EOF of output streams on ports" : "", ports);
	fputs(diag, stderr);
	report("timeout\n");
	return 124;
}

/* Relays the streams and takes events until the init's EXIT and its output's
 * EOF; runs the timed actions on the way. Returns the init's status. */
static int session(struct agent_conn *c, const struct opts *o, const struct proto_process *ip,
		   int exec_lfd[3])
{
	struct session ss = { .exec_done = !o->exec, .ps_done = !o->ps, .signalled = !o->signal_ms,
			      .status = 125 };
	uint64_t t0 = now_ms();

	if (o->exec && run_exec(c, o, ip, exec_lfd))
		ss.exec_done = true;
	waiting("the session (EXIT and output)");
	for (;;) {
		struct pollfd pfd[2 * MAX_STREAMS + 1];
		int np = 2 * nstreams;

		actions(c, o, &ss, t0);
		if (!stream_pollfds(pfd) && ss.got_exit)
			return ss.status;
		pfd[np++] = (struct pollfd){ .fd = ss.got_exit ? -1 : c->fd, .events = POLLIN };
		if (now_ms() > deadline)
			return session_timeout(&ss);
		if (poll(pfd, (nfds_t)np, 100) < 0 && errno != EINTR)
			return 125;
		for (int i = 0; i < nstreams; i++)
			stream_pump(&streams[i], pfd[2 * i].revents, pfd[2 * i + 1].revents);
		if (((pfd[np - 1].revents & (POLLIN | POLLHUP)) || c->qhead < c->nqueue) &&
		    take_events(c, &ss))
			return 125;
	}
}

/* The init's streams, once created: a terminal's one, or stdin, stdout, stderr. */
static int accept_stdio(const struct opts *o, const struct proto_process *p, const int lfd[3])
{
	int n = p->flags & PROTO_PROC_TERMINAL ? 1 : 3;

	for (int i = 0; i < n; i++) {
		int sfd;

		if (lfd[i] < 0)
			continue;
		if ((sfd = accept_port(lfd[i], p->stdio[i], "stdio")) < 0)
			return -1;
		if (i == 0) {
			add_stream(o->no_stdin ? open("/dev/null", O_RDONLY) : 0, sfd, false, p->stdio[0]);
			if (n == 1)
				add_stream(dup(sfd), 1, true, p->stdio[0]);
		} else {
			add_stream(sfd, i, true, p->stdio[i]);
		}
	}
	return 0;
}

/* The init's extra fds: IN and OUT one stream each way, BOTH two over one
 * connection; ours is shut down and closed when its stream ends. */
static int accept_extras(const struct opts *o, const struct proto_process *p, const int *xl)
{
	for (uint32_t i = 0; i < p->n_extra; i++) {
		int fd = o->extra_fd[i], sfd;

		if (!p->extra[i].port)
			continue;
		if ((sfd = accept_port(xl[i], p->extra[i].port, "extra fd")) < 0)
			return -1;
		if (p->extra[i].dir != PROTO_EXTRA_OUT)
			add_stream(p->extra[i].dir == PROTO_EXTRA_BOTH ? dup(fd) : fd, sfd, false,
				   p->extra[i].port);
		if (p->extra[i].dir != PROTO_EXTRA_IN) {
			add_stream(p->extra[i].dir == PROTO_EXTRA_BOTH ? dup(sfd) : sfd, fd, true,
				   p->extra[i].port);
			streams[nstreams - 1].end_dst = true;
		}
	}
	return 0;
}

/* Listens, starts the agent, creates and starts the container. The init's stdio
 * listeners are in lfd[], the exec's in exec_lfd[]. */
static int setup(struct agent_conn *c, const struct opts *o, const struct proto_spec *s,
		 int exec_lfd[3])
{
	int ctl_l = listen_port(o->prefix, PROTO_CONTROL_PORT), lfd[3] = { -1, -1, -1 }, fd;
	int xl[PROTO_MAX_EXTRA_FDS];
	struct proto_result res;
	uint64_t t0 = now_ms();
	int ret;

	for (int i = 0; i < 3; i++) {
		if (s->process.stdio[i])
			lfd[i] = listen_port(o->prefix, s->process.stdio[i]);
		if (o->exec && i < (o->exec_tty ? 1 : 3))
			exec_lfd[i] = listen_port(o->prefix, PORT_EXEC + (uint32_t)i);
	}
	for (uint32_t i = 0; i < s->process.n_extra; i++)
		xl[i] = s->process.extra[i].port ? listen_port(o->prefix, s->process.extra[i].port)
						 : -1;
	if (o->agent)
		spawn_agent(o->agent, o->prefix);
	fd = accept_port(ctl_l, PROTO_CONTROL_PORT, "control");
	if (fd >= 0)
		waiting("the agent's HELLO");
	if (fd < 0 || (ret = agent_open(c, fd, left_ms(), &res))) {
		fprintf(stderr, "agent-client: no agent: %s\n", fd < 0 ? "no connection" : res.msg);
		report("agent-error: %s\n", fd < 0 ? "no connection" : res.msg);
		return -1;
	}
	if (o->timing)
		fprintf(stderr, "timing: hello %llu ms after the agent started, guest uptime %.3f ms\n",
			(unsigned long long)(now_ms() - t0), (double)c->hello.uptime_ns / 1e6);
	waiting("the CREATE result");
	c->timeout_ms = left_ms();
	ret = agent_create(c, s, &res);
	if (ret || res.err) {
		fprintf(stderr, "agent-client: create: %s\n", ret ? strerror(-ret) : res.msg);
		report("create-error: %s\n", ret ? strerror(-ret) : res.msg);
		return -1;
	}
	if (o->timing)
		fprintf(stderr, "timing: created %llu ms after the agent started, guest uptime %.3f ms\n",
			(unsigned long long)(now_ms() - t0), (double)res.uptime_ns / 1e6);
	if (accept_stdio(o, &s->process, lfd) || accept_extras(o, &s->process, xl))
		return -1;
	waiting("the START result");
	c->timeout_ms = left_ms();
	ret = agent_start(c, &res);
	if (ret || res.err) {
		fprintf(stderr, "agent-client: start: %s\n", ret ? strerror(-ret) : res.msg);
		report("start-error: %s\n", ret ? strerror(-ret) : res.msg);
		return -1;
	}
	if (o->resize_rows)
		waiting("the RESIZE result");
	c->timeout_ms = left_ms();
	if (o->resize_rows && (ret = agent_resize(c, PROTO_INIT_PROC, o->resize_rows,
						   o->resize_cols, &res)) == 0 && res.err)
		fprintf(stderr, "agent-client: resize: %s\n", res.msg);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .timeout = 60 };
	struct proto_spec s;
	struct agent_conn c = { .fd = -1 };
	int exec_lfd[3] = { -1, -1, -1 }, status = 125;

	signal(SIGPIPE, SIG_IGN);
	client_spec_default(&s, &s.process);
	parse_args(argc, argv, &o, &s, &s.process);
	for (int i = 0; i < 3; i++)
		s.process.stdio[i] = (s.process.flags & PROTO_PROC_TERMINAL) && i ? 0 : PORT_INIT + (uint32_t)i;
	if (o.status && !(status_file = fopen(o.status, "w")))
		return 125;
	start_ms = now_ms();
	deadline = start_ms + (uint64_t)o.timeout * 1000;
	timeout_s = o.timeout;
	waiting("the start");
	signal(SIGALRM, watchdog);
	signal(SIGTERM, watchdog);
	signal(SIGINT, watchdog);
	signal(SIGHUP, watchdog);
	alarm((unsigned)o.timeout + 2);
	if (!setup(&c, &o, &s, exec_lfd))
		status = session(&c, &o, &s.process, exec_lfd);
	alarm(0);
	/* Closing the control connection lets the guest power off / the agent exit. */
	agent_close(&c);
	{
		int agent = finish_agent(MIN(now_ms() + 10000, MAX(deadline, now_ms())));

		report("agent %d\n", agent);
	}
	if (getenv("AGENT_CLIENT_TRACE"))
		fprintf(stderr, "agent-client: steps (s since start): %s\n", trail);
	return status;
}
