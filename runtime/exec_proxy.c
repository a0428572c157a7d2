/* The exec proxy (see exec_proxy.h). Blocking I/O around one poll loop: a slow
 * reader of our stdout holds up the others, which only costs that exec. */
#include "runtime/exec_proxy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/ctl.h"

#define XP_ACCEPT_TIMEOUT_MS 30000
#define XP_BUF 65536
#define XP_TRIES 8

static const int xp_signals[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };

void rt_xproxy_init(struct rt_xproxy *x, const char *dir, const char *cgdir)
{
	memset(x, 0, sizeof(*x));
	x->dir = dir;
	x->cgdir = cgdir ? cgdir : "";
	x->tty_in = x->tty_out = -1;
	x->conn.fd = -1;
	for (int i = 0; i < 3; i++)
		x->lfd[i] = x->sfd[i] = -1;
}

static uint32_t xp_random(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)util_now_ns() ^ (uint32_t)getpid() << 16;
	return v;
}

static void port_name(char *buf, size_t size, uint32_t port)
{
	snprintf(buf, size, "%s_%u", CTL_VSOCK_NAME, port);
}

static int xp_listen(const char *dir, uint32_t port, int *lfd)
{
	struct sockaddr_un sa;
	char name[64];
	int fd, dfd, r = 0;

	port_name(name, sizeof(name), port);
	r = rt_unix_addr(dir, name, &sa, &dfd);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0)
		r = -errno;
	if (dfd >= 0)
		close(dfd);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*lfd = fd;
	return 0;
}

static void xp_unlink_ports(struct rt_xproxy *x)
{
	int dfd = open(x->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char name[64];

	for (int i = 0; i < 3 && dfd >= 0; i++)
		if (x->e.process.stdio[i]) {
			port_name(name, sizeof(name), x->e.process.stdio[i]);
			unlinkat(dfd, name, 0);
		}
	if (dfd >= 0)
		close(dfd);
}

static void xp_close_listeners(struct rt_xproxy *x)
{
	xp_unlink_ports(x);
	for (int i = 0; i < 3; i++) {
		if (x->lfd[i] >= 0)
			close(x->lfd[i]);
		x->lfd[i] = -1;
	}
}

/* Random ports that nobody listens on yet, one per stream. */
static int xp_listen_all(struct rt_xproxy *x, struct rt_err *err)
{
	int n = x->tty_in >= 0 ? 1 : 3;

	for (int i = 0; i < n; i++) {
		int r = -EADDRINUSE;

		for (int t = 0; t < XP_TRIES && r == -EADDRINUSE; t++) {
			uint32_t port = 0x10000 + xp_random() % 0x7fff0000u;

			r = xp_listen(x->dir, port, &x->lfd[i]);
			if (r == 0)
				x->e.process.stdio[i] = port;
		}
		if (r < 0)
			return rt_err_sys(err, r, "listen for the exec's stdio in %s", x->dir);
	}
	return 0;
}

/* STATE/exec-<pid> with our start time: how ps finds the proxies. */
static void xp_register(const struct rt_xproxy *x, bool add)
{
	char name[64], buf[32];
	uint64_t st = 0;
	int dfd = open(x->dir, O_PATH | O_DIRECTORY | O_CLOEXEC), fd;

	if (dfd < 0)
		return;
	snprintf(name, sizeof(name), RT_EXEC_REG_PREFIX "%d", (int)getpid());
	if (!add) {
		unlinkat(dfd, name, 0);
	} else if ((fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) >= 0) {
		rt_pid_start_time(getpid(), &st);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)st);
		(void)!util_write_full(fd, buf, strlen(buf));
		close(fd);
	}
	close(dfd);
}

static int xp_exec(struct rt_xproxy *x, struct rt_err *err)
{
	struct proto_result res;
	int r;

	for (int t = 0; t < XP_TRIES; t++) {
		x->e.proc_id = CTL_EXEC_PROC_MIN + xp_random() % 0x40000000u;
		r = agent_exec(&x->conn, &x->e, &res);
		if (r < 0) {
			if (r == -ESHUTDOWN || r == -ECONNRESET || r == -EPIPE)
				return rt_err_set(err, ESRCH, "container not running");
			return rt_err_sys(err, r, "exec request to the VMM");
		}
		if (res.err == -EEXIST)
			continue;
		if (res.err < 0)
			return rt_err_set(err, -res.err, "%s",
					  res.msg[0] ? res.msg : strerror(-res.err));
		return 0;
	}
	return rt_err_set(err, EEXIST, "exec: no free process id");
}

int rt_xproxy_start(struct rt_xproxy *x, struct rt_err *err)
{
	int r;

	if (x->cgdir[0] && (r = rt_cgroup_join(x->cgdir)) < 0 && r != -ENOENT)
		return rt_err_sys(err, r, "join the container's cgroup %s", x->cgdir);
	xp_register(x, true);
	r = xp_listen_all(x, err);
	if (r == 0)
		r = rt_ctl_open(x->dir, &x->conn, err);
	if (r == 0)
		r = xp_exec(x, err);
	/* The guest connected every stream before its answer: they wait in the
	 * listen queues. */
	for (int i = 0; r == 0 && i < 3; i++) {
		if (x->lfd[i] < 0)
			continue;
		r = agent_accept(x->lfd[i], XP_ACCEPT_TIMEOUT_MS, &x->sfd[i]);
		if (r < 0)
			rt_err_sys(err, r, "the exec's stdio connection from the guest");
	}
	xp_close_listeners(x);
	return r;
}

void rt_xproxy_fini(struct rt_xproxy *x)
{
	xp_close_listeners(x);
	for (int i = 0; i < 3; i++) {
		if (x->sfd[i] >= 0)
			close(x->sfd[i]);
		x->sfd[i] = -1;
	}
	if (x->conn.fd >= 0)
		agent_close(&x->conn);
	x->conn.fd = -1;
	xp_register(x, false);
}

/* ---- the relay ------------------------------------------------------------------ */

struct xp_loop {
	struct rt_xproxy *x;
	int in_fd, sigfd;
	bool in_done, out_done[3], ctl_done;
	int out_fd[3]; /* where stream i's output goes; -1: not an output stream */
	char buf[XP_BUF];
};

/* Moves one read's worth from -> to; false at EOF or error. A dead `to` (our
 * reader went away) drops the data so that the guest never blocks on us. */
static bool xp_pump(struct xp_loop *l, int from, int *to)
{
	ssize_t n = read(from, l->buf, sizeof(l->buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (*to >= 0 && util_write_full(*to, l->buf, (size_t)n) < 0)
		*to = -1;
	return true;
}

static void xp_drain_events(struct xp_loop *l)
{
	struct rt_xproxy *x = l->x;
	struct agent_event ev;
	int r;

	while ((r = agent_next_event(&x->conn, 0, &ev)) == 0)
		if (ev.type == PROTO_EXIT && ev.exit.proc_id == x->e.proc_id) {
			x->exit = ev.exit;
			x->have_exit = true;
		}
	if (r != -ETIMEDOUT)
		l->ctl_done = true;
}

static void xp_signal(struct xp_loop *l)
{
	struct rt_xproxy *x = l->x;
	struct signalfd_siginfo si;
	struct proto_result res;
	struct winsize ws;

	if (read(l->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGWINCH) {
		if (x->tty_in >= 0 && ioctl(x->tty_in, TIOCGWINSZ, &ws) == 0)
			agent_resize(&x->conn, x->e.proc_id, ws.ws_row, ws.ws_col, &res);
	} else if (!l->ctl_done) {
		agent_signal(&x->conn, x->e.proc_id, (int)si.ssi_signo, 0, &res);
	}
	/* Answers may have come with events: look at them now. */
	xp_drain_events(l);
}

static void xp_input(struct xp_loop *l)
{
	int to = l->x->sfd[0];

	if (xp_pump(l, l->in_fd, &to) && to >= 0)
		return;
	l->in_done = true;
	/* End of our stdin is the process's EOF; a terminal has no EOF to pass. */
	if (l->x->tty_in < 0 && l->x->sfd[0] >= 0)
		shutdown(l->x->sfd[0], SHUT_WR);
}

static bool xp_finished(const struct xp_loop *l)
{
	if (l->ctl_done && !l->x->have_exit)
		return true; /* the VMM is gone */
	if (!l->x->have_exit)
		return false;
	for (int i = 0; i < 3; i++)
		if (l->x->sfd[i] >= 0 && l->out_fd[i] != -2 && !l->out_done[i])
			return false;
	return true;
}

static void xp_loop_init(struct xp_loop *l, struct rt_xproxy *x)
{
	sigset_t set;

	memset(l, 0, sizeof(*l));
	l->x = x;
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(xp_signals); i++)
		sigaddset(&set, xp_signals[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	l->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (x->tty_in >= 0) {
		l->in_fd = x->tty_in;
		l->out_fd[0] = x->tty_out;
		l->out_fd[1] = l->out_fd[2] = -2;
	} else {
		l->in_fd = STDIN_FILENO;
		l->out_fd[0] = -2; /* stdin: not an output */
		l->out_fd[1] = STDOUT_FILENO;
		l->out_fd[2] = STDERR_FILENO;
	}
}

void rt_xproxy_relay(struct rt_xproxy *x, struct proto_exit *ex)
{
	struct xp_loop *l = malloc(sizeof(*l));

	if (!l) {
		memset(ex, 0, sizeof(*ex));
		ex->signaled = 1;
		ex->code = SIGKILL;
		return;
	}
	xp_loop_init(l, x);
	while (!xp_finished(l)) {
		struct pollfd p[6];
		int n = 0, who[6];

		if (!l->in_done) {
			p[n] = (struct pollfd){ .fd = l->in_fd, .events = POLLIN };
			who[n++] = 3;
		}
		for (int i = 0; i < 3; i++)
			if (x->sfd[i] >= 0 && l->out_fd[i] != -2 && !l->out_done[i]) {
				p[n] = (struct pollfd){ .fd = x->sfd[i], .events = POLLIN };
				who[n++] = i;
			}
		if (!l->ctl_done) {
			p[n] = (struct pollfd){ .fd = x->conn.fd, .events = POLLIN };
			who[n++] = 4;
		}
		if (l->sigfd >= 0) {
			p[n] = (struct pollfd){ .fd = l->sigfd, .events = POLLIN };
			who[n++] = 5;
		}
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (who[k] < 3)
				l->out_done[who[k]] = !xp_pump(l, p[k].fd, &l->out_fd[who[k]]);
			else if (who[k] == 3)
				xp_input(l);
			else if (who[k] == 4)
				xp_drain_events(l);
			else
				xp_signal(l);
		}
	}
	if (x->have_exit) {
		*ex = x->exit;
	} else {
		memset(ex, 0, sizeof(*ex));
		ex->signaled = 1;
		ex->code = SIGKILL;
	}
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l);
}

void rt_exit_like(const struct proto_exit *ex)
{
	if (ex->signaled && ex->code > 0 && ex->code < 65) {
		struct rlimit none = { 0, 0 };
		sigset_t set;

		/* Die of the same signal, without leaving a core of our own. */
		setrlimit(RLIMIT_CORE, &none);
		signal(ex->code, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, ex->code);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		kill(getpid(), ex->code);
		_exit(128 + ex->code);
	}
	_exit(ex->code & 0xff);
}
