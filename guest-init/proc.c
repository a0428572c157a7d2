/* Container processes on the agent's side: connecting their stdio streams and
 * extra fds (--preserve-fds) to the host, forking the child that sets them up
 * (into the container's pid namespace and cgroup), the READY/GO handshake,
 * reaping, and finding every process of the container for `ps` and `kill --all`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

static int gi_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ? -errno : 0;
}

/* One stream to host port `port` through a pipe: out, the process writes *child
 * and the relay carries it to the host; in, the host's bytes go into the pipe
 * the process reads from *child. */
static int gi_proc_stream(struct gi_agent *a, struct gi_proc *p, uint32_t port, bool out,
			  struct gi_relay **r, int *child, const char *what, struct gi_err *e)
{
	int fds[2], sock = -1, ret;

	ret = gi_connect(&a->o->transport, port, &sock);
	if (ret)
		return gi_failerr(e, ret, "connecting %s stream to host port %u", what, port);
	if (pipe2(fds, O_CLOEXEC)) {
		ret = -errno;
		close(sock);
		return gi_failerr(e, ret, "%s: pipe", what);
	}
	*child = out ? fds[1] : fds[0];
	ret = gi_nonblock(sock);
	if (!ret)
		ret = gi_nonblock(out ? fds[0] : fds[1]);
	if (!ret)
		ret = out ? gi_relay_create(r, a->ep, fds[0], sock, p)
			  : gi_relay_create(r, a->ep, sock, fds[1], p);
	if (ret) {
		close(sock);
		close(fds[0]);
		close(fds[1]);
		*child = -1;
		return gi_failerr(e, ret, "%s", what);
	}
	return 0;
}

/* One output (i = 1, 2) or input (i = 0) stream; port 0 is /dev/null. */
static int gi_proc_pipe(struct gi_agent *a, struct gi_proc *p, int i, uint32_t port, int *child,
			struct gi_err *e)
{
	if (!port) {
		*child = a->devnull;
		return 0;
	}
	return gi_proc_stream(a, p, port, i > 0, i ? &p->out[i - 1] : &p->in, child, "stdio", e);
}

static void gi_close_child_ends(struct gi_agent *a, int child[3])
{
	for (int i = 0; i < 3; i++)
		if (child[i] >= 0 && child[i] != a->devnull)
			close(child[i]);
}

static int gi_proc_stdio(struct gi_agent *a, struct gi_proc *p, const struct proto_process *pr,
			 int child[3], struct gi_err *e)
{
	int ret = 0;

	if (pr->flags & PROTO_PROC_TERMINAL) {
		if (pr->stdio[1] || pr->stdio[2])
			return gi_fail(e, -EINVAL, "with a terminal the console is stdio[0] alone");
		if (pr->stdio[0] && (ret = gi_connect(&a->o->transport, pr->stdio[0], &p->sock)))
			return gi_failerr(e, ret, "connecting the console to host port %u", pr->stdio[0]);
		return 0;
	}
	for (int i = 0; !ret && i < 3; i++)
		ret = gi_proc_pipe(a, p, i, pr->stdio[i], &child[i], e);
	if (ret)
		gi_close_child_ends(a, child);
	return ret;
}

/* A BOTH extra fd: the process gets one end of a stream socketpair; ours is
 * relayed both ways over the one host stream, each relay with its own dups (its
 * own epoll registrations). A shutdown on either side ends one relay, which
 * shuts its destination down: the other side reads EOF, the other way goes on. */
static int gi_proc_socket(struct gi_agent *a, struct gi_proc *p, uint32_t i, uint32_t port,
			  int *child, struct gi_err *e)
{
	int sv[2] = { -1, -1 }, dup_sock = -1, dup_sv = -1, sock = -1, ret;

	ret = gi_connect(&a->o->transport, port, &sock);
	if (ret)
		return gi_failerr(e, ret, "connecting fd %u's stream to host port %u", 3 + i, port);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    (dup_sock = fcntl(sock, F_DUPFD_CLOEXEC, 3)) < 0 ||
	    (dup_sv = fcntl(sv[0], F_DUPFD_CLOEXEC, 3)) < 0)
		ret = -errno;
	if (!ret && !(ret = gi_nonblock(sock)) && !(ret = gi_nonblock(sv[0])))
		ret = gi_relay_create(&p->xout[i], a->ep, sv[0], sock, p);
	if (!ret) {
		sv[0] = sock = -1;
		ret = gi_relay_create(&p->xin[i], a->ep, dup_sock, dup_sv, p);
	}
	if (!ret) {
		*child = sv[1];
		return 0;
	}
	int left[] = { sock, sv[0], sv[1], dup_sock, dup_sv };

	for (size_t k = 0; k < ARRAY_SIZE(left); k++)
		if (left[k] >= 0)
			close(left[k]);
	return gi_failerr(e, ret, "fd %u: socket", 3 + i);
}

/* --preserve-fds: the process's fds 3 and up (see proto.h), into child[]. */
static int gi_proc_extras(struct gi_agent *a, struct gi_proc *p, const struct proto_process *pr,
			  int child[PROTO_MAX_EXTRA_FDS], struct gi_err *e)
{
	static const int null_mode[] = { [PROTO_EXTRA_IN] = O_RDONLY, [PROTO_EXTRA_OUT] = O_WRONLY,
					 [PROTO_EXTRA_BOTH] = O_RDWR };
	int ret = 0;

	for (uint32_t i = 0; !ret && i < pr->n_extra; i++) {
		const struct proto_extra_fd *x = &pr->extra[i];
		char what[16];

		snprintf(what, sizeof(what), "fd %u", 3 + i);
		if (!x->port) {
			child[i] = open("/dev/null", null_mode[x->dir] | O_CLOEXEC);
			if (child[i] < 0)
				ret = gi_failerr(e, -errno, "%s: /dev/null", what);
		} else if (x->dir == PROTO_EXTRA_BOTH) {
			ret = gi_proc_socket(a, p, i, x->port, &child[i], e);
		} else {
			bool out = x->dir == PROTO_EXTRA_OUT;

			ret = gi_proc_stream(a, p, x->port, out, out ? &p->xout[i] : &p->xin[i],
					     &child[i], what, e);
		}
	}
	return ret;
}

static void gi_close_extras(int child[PROTO_MAX_EXTRA_FDS])
{
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++)
		if (child[i] >= 0)
			close(child[i]);
}

/* The console stream in both directions over the pty master, each direction
 * with its own fds so that each has its own epoll registration:
 * out = master -> socket, in = socket -> master. */
static int gi_proc_console(struct gi_agent *a, struct gi_proc *p, int master, struct gi_err *e)
{
	int fds[4] = { -1, p->sock, -1, -1 }, ret = 0;

	p->master = master;
	p->sock = -1;
	if (fds[1] < 0)
		return 0;
	fds[0] = fcntl(master, F_DUPFD_CLOEXEC, 3);
	fds[2] = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
	fds[3] = fcntl(master, F_DUPFD_CLOEXEC, 3);
	if (fds[0] < 0 || fds[2] < 0 || fds[3] < 0)
		ret = -errno;
	if (!ret && !(ret = gi_nonblock(master)) && !(ret = gi_nonblock(fds[1])))
		ret = gi_relay_create(&p->out[0], a->ep, fds[0], fds[1], p);
	if (!ret) {
		p->out[0]->pty = true;
		fds[0] = fds[1] = -1;
		ret = gi_relay_create(&p->in, a->ep, fds[2], fds[3], p);
	}
	if (!ret)
		fds[2] = fds[3] = -1;
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret ? gi_failerr(e, ret, "terminal") : 0;
}

/* Until READY: the child's PTY (a terminal's master), or its ERROR. */
static int gi_proc_wait_ready(struct gi_agent *a, struct gi_proc *p, struct gi_err *e)
{
	for (;;) {
		struct gi_sync m;
		int fd, ret = gi_sync_recv(p->sync, &m, &fd);

		if (ret == -ESHUTDOWN)
			return gi_fail(e, -ECHILD, "the container process exited during setup");
		if (ret)
			return gi_failerr(e, ret, "waiting for the container process");
		if (m.type == GI_SYNC_READY)
			return 0;
		if (m.type == GI_SYNC_ERROR)
			return gi_fail(e, m.err < 0 ? m.err : -EIO, "%s", m.msg);
		if (m.type == GI_SYNC_PTY && fd >= 0 && p->master < 0) {
			ret = gi_proc_console(a, p, fd, e);
			if (ret)
				return ret;
		} else if (fd >= 0) {
			close(fd);
		}
	}
}

/* The pid namespace of a child is chosen at fork: the agent enters the
 * container's for the fork and goes back to its own after it. */
static pid_t gi_fork_into(struct gi_agent *a, bool exec, bool new_pidns, struct gi_err *e)
{
	pid_t pid;

	if (exec && a->pidns >= 0 && setns(a->pidns, CLONE_NEWPID))
		return gi_failerr(e, -errno, "entering the container's pid namespace");
	if (!exec && new_pidns && unshare(CLONE_NEWPID))
		return gi_failerr(e, -errno, "new pid namespace");
	pid = fork();
	if (pid < 0)
		gi_failerr(e, -errno, "fork");
	if (pid && (exec ? a->pidns >= 0 : new_pidns) && setns(a->self_pidns, CLONE_NEWPID))
		gi_log("cannot return to the agent's pid namespace: %s", strerror(errno));
	return pid;
}

int gi_proc_spawn(struct gi_agent *a, const struct proto_process *pr, bool exec,
		  struct gi_proc *p, struct gi_err *e)
{
	int sv[2], child[3] = { -1, -1, -1 }, ret;
	struct gi_child c = { .spec = &a->spec, .proc = pr, .exec = exec,
			      .cgroup_procs = a->cg_procs, .namespaces = a->spec.namespaces };

	p->sync = p->master = p->sock = -1;
	memset(c.extra, -1, sizeof(c.extra));
	ret = gi_proc_stdio(a, p, pr, child, e);
	if (!ret && (ret = gi_proc_extras(a, p, pr, c.extra, e)))
		gi_close_child_ends(a, child);
	if (!ret && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		ret = gi_failerr(e, -errno, "socketpair");
		gi_close_child_ends(a, child);
	}
	if (ret) {
		gi_close_extras(c.extra);
		return ret;
	}
	c.sync = sv[1];
	memcpy(c.stdio, child, sizeof(child));
	memcpy(c.ns, a->ns, sizeof(c.ns));
	p->pid = gi_fork_into(a, exec, a->spec.namespaces & PROTO_NS_PID, e);
	if (p->pid == 0)
		gi_child_run(&c);
	close(sv[1]);
	gi_close_child_ends(a, child);
	gi_close_extras(c.extra);
	p->sync = sv[0];
	if (p->pid < 0)
		return p->pid;
	ret = gi_proc_wait_ready(a, p, e);
	if (ret) {
		/* It exits on its own after an error; make sure, and reap it here. */
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
		p->reaped = true;
		return ret;
	}
	if (p->in)
		gi_relay_pump(p->in);
	for (int i = 0; i < 2; i++)
		if (p->out[i])
			gi_relay_pump(p->out[i]);
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		if (p->xin[i])
			gi_relay_pump(p->xin[i]);
		if (p->xout[i])
			gi_relay_pump(p->xout[i]);
	}
	return 0;
}

int gi_proc_go(struct gi_proc *p, struct gi_err *e)
{
	struct gi_sync m = { 0 };
	int fd, ret = gi_sync_send(p->sync, GI_SYNC_GO, NULL, -1);

	if (ret)
		return gi_failerr(e, ret, "starting the container process");
	ret = gi_sync_recv(p->sync, &m, &fd);
	if (fd >= 0)
		close(fd);
	close(p->sync);
	p->sync = -1;
	/* The channel is CLOEXEC: EOF is a successful exec. */
	if (ret == -ESHUTDOWN)
		return 0;
	if (ret)
		return gi_failerr(e, ret, "starting the container process");
	return gi_fail(e, m.err < 0 ? m.err : -EIO, "%s", m.msg);
}

/* The process is gone: what it wrote is read to the end (EAGAIN is the end of
 * a pipe once nobody can write), what it would have read is dropped. */
static void gi_proc_drain(struct gi_relay *out)
{
	if (!out)
		return;
	out->drain = true;
	gi_relay_pump(out);
}

void gi_proc_reaped(struct gi_proc *p, int status)
{
	p->reaped = true;
	p->status = status;
	p->reaped_ns = util_now_ns();
	/* (Relays are freed only between epoll batches, by gi_proc_destroy: an event
	 * for one may be pending.) */
	gi_relay_end(p->in);
	for (int i = 0; i < 2; i++)
		gi_proc_drain(p->out[i]);
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		gi_relay_end(p->xin[i]);
		gi_proc_drain(p->xout[i]);
	}
}

void gi_proc_end_relays(struct gi_proc *p)
{
	gi_relay_end(p->in);
	for (int i = 0; i < 2; i++)
		gi_relay_end(p->out[i]);
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		gi_relay_end(p->xin[i]);
		gi_relay_end(p->xout[i]);
	}
}

/* The exit rule (proto.h): every stream towards the host is done. */
bool gi_proc_finished(const struct gi_proc *p)
{
	if (!p->reaped || (p->out[0] && !p->out[0]->done) || (p->out[1] && !p->out[1]->done))
		return false;
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++)
		if (p->xout[i] && !p->xout[i]->done)
			return false;
	return true;
}

void gi_proc_destroy(struct gi_proc *p)
{
	if (!p)
		return;
	gi_relay_destroy(p->in);
	for (int i = 0; i < 2; i++)
		gi_relay_destroy(p->out[i]);
	for (int i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		gi_relay_destroy(p->xin[i]);
		gi_relay_destroy(p->xout[i]);
	}
	if (p->sync >= 0)
		close(p->sync);
	if (p->master >= 0)
		close(p->master);
	if (p->sock >= 0)
		close(p->sock);
	proto_exec_free(&p->exec);
	free(p);
}

/* Userspace processes of the container: with its own pid namespace, those in it;
 * without, all but the agent when the agent is PID 1 (the guest, or a test's
 * namespace), and only the tracked ones otherwise. */
static bool gi_proc_ours(struct gi_agent *a, pid_t pid, ino_t pidns)
{
	char path[64], buf[512];
	autoclose int fd = -1;
	struct stat st;
	unsigned long flags = 0;
	ssize_t n;
	char *p;

	if (pid == getpid())
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return false;
	buf[n] = 0;
	/* Field 9 is the flags; kernel threads have PF_KTHREAD. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %lu", &flags) != 1 || flags & 0x00200000)
		return false;
	if (pidns) {
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
		return !stat(path, &st) && st.st_ino == pidns;
	}
	if (getpid() == 1)
		return true;
	for (struct gi_proc *q = a->procs; q; q = q->next)
		if (q->pid == pid && !q->reaped)
			return true;
	return false;
}

int gi_proc_list(struct gi_agent *a, uint32_t *pids, uint32_t max, uint32_t *n)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct stat st;
	ino_t pidns = 0;

	*n = 0;
	if (!d)
		return -errno;
	if (a->pidns >= 0 && !fstat(a->pidns, &st))
		pidns = st.st_ino;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || !gi_proc_ours(a, (pid_t)pid, pidns))
			continue;
		if (*n < max)
			pids[*n] = (uint32_t)pid;
		(*n)++;
	}
	closedir(d);
	return 0;
}

int gi_proc_signal_all(struct gi_agent *a, int sig)
{
	uint32_t pids[4096], n = 0;
	int ret = gi_proc_list(a, pids, ARRAY_SIZE(pids), &n);

	for (uint32_t i = 0; i < n && i < ARRAY_SIZE(pids); i++)
		kill((pid_t)pids[i], sig);
	return ret;
}
