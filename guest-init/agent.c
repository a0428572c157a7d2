/* The agent: one epoll loop over the control connection, a signalfd (SIGCHLD:
 * reap everything, report ours), the stdio relays and the OOM watch. Requests are
 * answered in order; process exits become EXIT events once their output is
 * flushed, the container's init last (see common/proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

/* A pty's output after its process is gone: ends at EIO, or after this. */
#define GI_PTY_GRACE_NS (1000ull * 1000000)
/* Processes that outlive the init's SIGKILL do not hold its EXIT back longer. */
#define GI_STRAGGLER_NS (2000ull * 1000000)
/* After the init's EXIT, the host closes the connection; a host that does not
 * is not waited for longer than this. */
#define GI_BYE_NS (10000ull * 1000000)

static int gi_send(struct gi_agent *a)
{
	int ret = proto_send(a->ctl, &a->out);

	if (ret)
		gi_log("control connection: %s", strerror(-ret));
	return ret;
}

static void gi_reply(struct gi_agent *a, uint16_t type, uint32_t id, const struct gi_err *e,
		     uint32_t pid)
{
	struct proto_result r = { .err = e->err, .pid = pid, .uptime_ns = gi_uptime_ns() };

	memcpy(r.msg, e->msg, sizeof(r.msg));
	if (!proto_enc_result(&a->out, type, id, &r))
		gi_send(a);
}

static struct gi_proc *gi_find(struct gi_agent *a, uint32_t id, pid_t pid)
{
	for (struct gi_proc *p = a->procs; p; p = p->next)
		if (pid ? p->pid == pid : p->id == id)
			return p;
	return NULL;
}

static int gi_agent_cgroup(struct gi_agent *a, struct gi_err *e)
{
	int ret;

	if (!a->o->cgroup_root)
		return a->spec.n_cgroup ? gi_fail(e, -EOPNOTSUPP, "resources need a cgroup root") : 0;
	ret = gi_cgroup_create(a->o->cgroup_root, "container", &a->spec, &a->cg, &a->cg_procs, e);
	if (ret)
		return ret;
	/* Without the memory controller there are no OOM events, and no error. */
	if (!gi_cgroup_oom_watch(a->cg, &a->oomfd)) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &a->woom };

		epoll_ctl(a->ep, EPOLL_CTL_ADD, a->oomfd, &ev);
		gi_cgroup_oom_count(a->cg, &a->oom_count);
	}
	return 0;
}

/* The init's namespaces, which each exec joins. */
static void gi_agent_open_ns(struct gi_agent *a, pid_t pid)
{
	static const char *const names[] = { "uts", "ipc", "net", "cgroup", "mnt" };
	char path[64];

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, names[i]);
		a->ns[i] = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (a->spec.namespaces & PROTO_NS_PID) {
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		a->pidns = open(path, O_RDONLY | O_CLOEXEC);
	}
}

/* A process that never started: its relays stop now, the memory goes later. */
static void gi_agent_bury(struct gi_agent *a, struct gi_proc *p)
{
	gi_proc_end_relays(p);
	p->next = a->dead;
	a->dead = p;
}

static void gi_agent_free_dead(struct gi_agent *a)
{
	while (a->dead) {
		struct gi_proc *p = a->dead;

		a->dead = p->next;
		gi_proc_destroy(p);
	}
}

static int gi_req_create(struct gi_agent *a, const uint8_t *p, uint32_t n, struct gi_err *e,
			 uint32_t *pid)
{
	struct gi_proc *init;
	int ret;

	if (a->state != GI_NEW)
		return gi_fail(e, -EEXIST, "container with given ID already exists");
	ret = proto_dec_spec(p, n, &a->spec);
	if (!ret && !(init = calloc(1, sizeof(*init))))
		ret = -ENOMEM;
	if (ret) {
		proto_spec_free(&a->spec);
		return gi_failerr(e, ret, "create request");
	}
	init->id = PROTO_INIT_PROC;
	/* The bare-machine agent mode must not touch the machine's own network. */
	ret = a->o->vm ? gi_net_setup(&a->spec, e) : 0;
	if (!ret)
		ret = gi_agent_cgroup(a, e);
	if (!ret)
		ret = gi_proc_spawn(a, &a->spec.process, false, init, e);
	if (ret) {
		gi_agent_bury(a, init);
		proto_spec_free(&a->spec);
		return ret;
	}
	init->next = a->procs;
	a->procs = a->init = init;
	a->state = GI_CREATED;
	gi_agent_open_ns(a, init->pid);
	*pid = (uint32_t)init->pid;
	return 0;
}

static int gi_req_start(struct gi_agent *a, struct gi_err *e)
{
	if (a->state == GI_NEW)
		return gi_fail(e, -ENOENT, "container does not exist");
	if (a->state != GI_CREATED)
		return gi_fail(e, -EBUSY, "cannot start a container that is not in created state");
	a->state = GI_RUNNING;
	return gi_proc_go(a->init, e);
}

static int gi_req_exec(struct gi_agent *a, const uint8_t *buf, uint32_t n, struct gi_err *e,
		       uint32_t *pid)
{
	struct gi_proc *p;
	int ret;

	if (a->state != GI_CREATED && a->state != GI_RUNNING)
		return gi_fail(e, -ESRCH, "container not running");
	p = calloc(1, sizeof(*p));
	if (!p)
		return gi_fail(e, -ENOMEM, "exec");
	ret = proto_dec_exec(buf, n, &p->exec);
	if (ret)
		gi_failerr(e, ret, "exec request");
	else if (!p->exec.proc_id || gi_find(a, p->exec.proc_id, 0))
		ret = gi_fail(e, -EEXIST, "process id %u is in use", p->exec.proc_id);
	p->id = p->exec.proc_id;
	if (!ret)
		ret = gi_proc_spawn(a, &p->exec.process, true, p, e);
	if (!ret && (ret = gi_proc_go(p, e))) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
	if (ret) {
		gi_agent_bury(a, p);
		return ret;
	}
	p->next = a->procs;
	a->procs = p;
	*pid = (uint32_t)p->pid;
	return 0;
}

static int gi_req_signal(struct gi_agent *a, const uint8_t *buf, uint32_t n, struct gi_err *e)
{
	struct proto_signal s;
	struct gi_proc *p;
	int ret = proto_dec_signal(buf, n, &s);

	if (ret)
		return gi_failerr(e, ret, "signal request");
	if (s.flags & PROTO_SIGNAL_ALL)
		return a->state == GI_NEW ? 0 : gi_proc_signal_all(a, (int)s.signo);
	p = gi_find(a, s.proc_id, 0);
	if (!p || p->reaped)
		return gi_fail(e, -ESRCH, "container not running");
	if (kill(p->pid, (int)s.signo))
		return gi_failerr(e, -errno, "kill %d", p->pid);
	return 0;
}

static int gi_req_resize(struct gi_agent *a, const uint8_t *buf, uint32_t n, struct gi_err *e)
{
	struct proto_resize r;
	struct winsize ws;
	struct gi_proc *p;
	int ret = proto_dec_resize(buf, n, &r);

	if (ret)
		return gi_failerr(e, ret, "resize request");
	p = gi_find(a, r.proc_id, 0);
	if (!p || p->master < 0)
		return gi_fail(e, -ENOTTY, "process %u has no terminal", r.proc_id);
	ws = (struct winsize){ .ws_row = r.rows, .ws_col = r.cols };
	if (ioctl(p->master, TIOCSWINSZ, &ws))
		return gi_failerr(e, -errno, "resize");
	return 0;
}

static int gi_req_update(struct gi_agent *a, const uint8_t *buf, uint32_t n, struct gi_err *e)
{
	struct proto_update u;
	int ret = proto_dec_update(buf, n, &u);

	if (ret)
		ret = gi_failerr(e, ret, "update request");
	else if (a->state != GI_CREATED && a->state != GI_RUNNING)
		ret = gi_fail(e, -ESRCH, "container not running");
	else if (!a->o->cgroup_root || a->cg < 0)
		ret = gi_fail(e, -EOPNOTSUPP, "update: the container has no cgroup in the guest");
	else
		ret = gi_cgroup_update(a->o->cgroup_root, a->cg, u.cgroup, u.n_cgroup, e);
	proto_update_free(&u);
	return ret;
}

static int gi_req_ps(struct gi_agent *a, uint32_t id, struct gi_err *e)
{
	uint32_t *pids = calloc(PROTO_MAX_PIDS, sizeof(*pids)), n = 0;
	int ret = pids ? gi_proc_list(a, pids, PROTO_MAX_PIDS, &n) : -ENOMEM;

	if (!ret && !(ret = proto_enc_ps_result(&a->out, id, pids, MIN(n, PROTO_MAX_PIDS))))
		gi_send(a);
	free(pids);
	return ret ? gi_failerr(e, ret, "ps") : 0;
}

static void gi_agent_request(struct gi_agent *a, const struct proto_hdr *h, const uint8_t *p)
{
	struct gi_err e = { 0 };
	uint32_t pid = 0;

	switch (h->type) {
	case PROTO_CREATE:
		if (!gi_req_create(a, p, h->len, &e, &pid) && a->o->vm)
			gi_marker();
		break;
	case PROTO_START:
		gi_req_start(a, &e);
		break;
	case PROTO_EXEC:
		gi_req_exec(a, p, h->len, &e, &pid);
		break;
	case PROTO_SIGNAL:
		gi_req_signal(a, p, h->len, &e);
		break;
	case PROTO_RESIZE:
		gi_req_resize(a, p, h->len, &e);
		break;
	case PROTO_PS:
		if (!gi_req_ps(a, h->id, &e))
			return;
		break;
	case PROTO_UPDATE:
		gi_req_update(a, p, h->len, &e);
		break;
	default:
		gi_fail(&e, -EOPNOTSUPP, "unknown request type %u", h->type);
	}
	gi_reply(a, PROTO_RESULT, h->id, &e, pid);
}

static void gi_send_exit(struct gi_agent *a, const struct gi_proc *p)
{
	struct proto_exit ex = { .proc_id = p->id, .pid = (uint32_t)p->pid };

	if (WIFSIGNALED(p->status)) {
		ex.signaled = 1;
		ex.code = WTERMSIG(p->status);
	} else {
		ex.code = WEXITSTATUS(p->status);
	}
	if (!proto_enc_exit(&a->out, &ex))
		gi_send(a);
}

static void gi_agent_reap(struct gi_agent *a)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct gi_proc *p = gi_find(a, 0, pid);

		if (!p || p->reaped)
			continue;
		gi_proc_reaped(p, st);
		/* runc's semantics: the container ends with its init. In its own pid
		 * namespace the kernel has killed the rest already. */
		if (p == a->init && !(a->spec.namespaces & PROTO_NS_PID))
			gi_proc_signal_all(a, SIGKILL);
	}
}

static void gi_agent_signals(struct gi_agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		/* Others are passed on to the container, as tini does. */
		if (si.ssi_signo != SIGCHLD && a->init && !a->init->reaped &&
		    a->state == GI_RUNNING)
			kill(a->init->pid, (int)si.ssi_signo);
	}
	gi_agent_reap(a);
}

static void gi_agent_oom(struct gi_agent *a)
{
	char buf[4096];
	uint64_t n = 0;

	while (read(a->oomfd, buf, sizeof(buf)) > 0)
		;
	if (!gi_cgroup_oom_count(a->cg, &n) && n > a->oom_count) {
		a->oom_count = n;
		if (!proto_enc_oom(&a->out, &(struct proto_oom){ n }))
			gi_send(a);
	}
}

/* Reports what has finished; the init goes last, and then the connection is
 * shut down on our side. Returns the next deadline (0: none). */
static uint64_t gi_agent_progress(struct gi_agent *a)
{
	uint64_t now = util_now_ns(), next = 0;

	gi_agent_free_dead(a);
	for (struct gi_proc **pp = &a->procs, *p; (p = *pp);) {
		bool pty_left = p->reaped && p->out[0] && p->out[0]->pty && !p->out[0]->done;

		if (pty_left && now - p->reaped_ns >= GI_PTY_GRACE_NS)
			gi_relay_end(p->out[0]);
		else if (pty_left && (!next || p->reaped_ns + GI_PTY_GRACE_NS < next))
			next = p->reaped_ns + GI_PTY_GRACE_NS;
		if (p != a->init && gi_proc_finished(p)) {
			gi_send_exit(a, p);
			*pp = p->next;
			gi_proc_destroy(p);
			continue;
		}
		pp = &p->next;
	}
	if (a->state == GI_DONE || !a->init || !gi_proc_finished(a->init))
		return next;
	if (a->procs != a->init || a->init->next) {
		uint64_t until = a->init->reaped_ns + GI_STRAGGLER_NS;

		if (now < until)
			return next && next < until ? next : until;
	}
	gi_send_exit(a, a->init);
	shutdown(a->ctl, SHUT_WR);
	a->state = GI_DONE;
	a->done_ns = now;
	return 0;
}

/* 0 to go on, 1 when the host has closed, < 0 when the stream is unusable. */
static int gi_agent_ctl(struct gi_agent *a)
{
	struct proto_hdr h;
	const uint8_t *p;
	int ret = proto_rx_read(&a->rx, a->ctl);

	if (ret == -EAGAIN)
		return 0;
	if (ret == -ESHUTDOWN)
		return 1;
	while (!ret && (ret = proto_rx_next(&a->rx, &h, &p)) == 1) {
		if (a->state == GI_DONE)
			continue;
		gi_agent_request(a, &h, p);
		ret = 0;
	}
	return ret;
}

static void gi_agent_event(struct gi_agent *a, struct epoll_event *ev, int *ctl)
{
	struct gi_watch *w = ev->data.ptr;

	switch (w->kind) {
	case GI_W_CTL:
		*ctl = gi_agent_ctl(a);
		break;
	case GI_W_SIGNAL:
		gi_agent_signals(a);
		break;
	case GI_W_OOM:
		gi_agent_oom(a);
		break;
	case GI_W_RELAY_SRC:
	case GI_W_RELAY_DST:
		gi_relay_pump(w->obj);
		break;
	}
}

static int gi_agent_loop(struct gi_agent *a)
{
	for (;;) {
		struct epoll_event evs[32];
		uint64_t next = gi_agent_progress(a), now = util_now_ns();
		int ctl = 0, n, timeout = -1;

		if (a->state == GI_DONE) {
			next = a->done_ns + GI_BYE_NS;
			if (now >= next)
				return 0;
		}
		if (next)
			timeout = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		n = epoll_wait(a->ep, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++)
			gi_agent_event(a, &evs[i], &ctl);
		if (ctl < 0) {
			gi_log("control connection: %s", strerror(-ctl));
			return ctl;
		}
		if (ctl > 0)
			return a->state == GI_DONE ? 0 : -ECONNRESET;
	}
}

static int gi_agent_init(struct gi_agent *a, const struct gi_opts *o)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	memset(a, 0, sizeof(*a));
	a->o = o;
	a->ctl = a->sigfd = a->devnull = a->self_pidns = a->pidns = -1;
	a->cg = a->cg_procs = a->oomfd = -1;
	for (size_t i = 0; i < ARRAY_SIZE(a->ns); i++)
		a->ns[i] = -1;
	a->wctl = (struct gi_watch){ GI_W_CTL, a };
	a->wsig = (struct gi_watch){ GI_W_SIGNAL, a };
	a->woom = (struct gi_watch){ GI_W_OOM, a };
	proto_rx_init(&a->rx);
	proto_buf_init(&a->out);
	sigemptyset(&set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	/* A stream the host closed must not kill the agent: writes say EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	a->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	a->self_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (a->ep < 0 || a->sigfd < 0 || a->devnull < 0 || a->self_pidns < 0)
		return -errno;
	ev.data.ptr = &a->wsig;
	return epoll_ctl(a->ep, EPOLL_CTL_ADD, a->sigfd, &ev) ? -errno : 0;
}

static void gi_agent_fini(struct gi_agent *a)
{
	int fds[] = { a->ctl, a->sigfd, a->devnull, a->self_pidns, a->pidns, a->cg, a->cg_procs,
		      a->oomfd, a->ep };

	gi_agent_free_dead(a);
	while (a->procs) {
		struct gi_proc *p = a->procs;

		a->procs = p->next;
		gi_proc_destroy(p);
	}
	for (size_t i = 0; i < ARRAY_SIZE(a->ns); i++)
		if (a->ns[i] >= 0)
			close(a->ns[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	proto_rx_fini(&a->rx);
	proto_buf_fini(&a->out);
	proto_spec_free(&a->spec);
}

/* The host listens before the guest boots, but a vsock transport may need a
 * moment after the kernel hands over to init: retry for a while. */
static int gi_agent_connect(struct gi_agent *a)
{
	int ret = -ETIMEDOUT;

	for (int i = 0; i < 100; i++) {
		ret = gi_connect(&a->o->transport, a->o->port, &a->ctl);
		if (!ret || (ret != -ENODEV && ret != -ECONNREFUSED && ret != -ECONNRESET &&
			     ret != -ENOENT && ret != -ETIMEDOUT))
			break;
		usleep(i < 10 ? 10000 : 100000);
	}
	return ret;
}

int gi_agent_run(const struct gi_opts *o, int *status)
{
	struct gi_agent a;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &a.wctl };
	struct proto_hello hello = { .version = RUNVM_VERSION };
	struct gi_err fatal = { 0 };
	int ret = gi_agent_init(&a, o);

	*status = 255;
	/* Whatever went wrong before the container, the host is told, if it can be. */
	if (o->boot_error && o->boot_error->err)
		fatal = *o->boot_error;
	else if (ret)
		gi_failerr(&fatal, ret, "agent setup");
	ret = gi_agent_connect(&a);
	if (ret)
		gi_log("connecting to the host on port %u: %s", o->port, strerror(-ret));
	else if (fatal.err) {
		gi_log("%s", fatal.msg);
		gi_reply(&a, PROTO_FATAL, 0, &fatal, 0);
		ret = fatal.err;
	}
	if (!ret) {
		hello.uptime_ns = gi_uptime_ns();
		if (epoll_ctl(a.ep, EPOLL_CTL_ADD, a.ctl, &ev) || proto_enc_hello(&a.out, &hello) ||
		    gi_send(&a))
			ret = -EIO;
	}
	if (!ret)
		ret = gi_agent_loop(&a);
	if (a.init && a.init->reaped)
		*status = WIFSIGNALED(a.init->status) ? 128 + WTERMSIG(a.init->status)
						      : WEXITSTATUS(a.init->status);
	else if (a.init)
		gi_proc_signal_all(&a, SIGKILL);
	gi_agent_fini(&a);
	return ret;
}
