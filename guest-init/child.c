/* The forked child that becomes a container process: the container's init
 * (namespaces, root filesystem, then the process) or an exec (joins the init's
 * namespaces, then the process). Whatever fails before exec is reported to the
 * agent over the sync channel with its message, and the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

int gi_sync_send(int fd, int type, const struct gi_err *e, int pass_fd)
{
	struct gi_sync m = { .type = type };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (e) {
		m.err = e->err;
		memcpy(m.msg, e->msg, sizeof(m.msg));
	}
	if (pass_fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(m) ? 0 : -errno;
}

int gi_sync_recv(int fd, struct gi_sync *m, int *pass_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = m, .iov_len = sizeof(*m) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*pass_fd = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(pass_fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return -ESHUTDOWN;
	if (n != (ssize_t)sizeof(*m))
		return -EBADMSG;
	m->msg[sizeof(m->msg) - 1] = 0;
	return 0;
}

/* fds[i] becomes fd i; staged above 2 first, so that no fds[i] is overwritten
 * before it is used. */
static int gi_stdio_install(const int fds[3])
{
	int tmp[3];

	for (int i = 0; i < 3; i++)
		if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return -errno;
	for (int i = 0; i < 3; i++) {
		if (dup2(tmp[i], i) < 0)
			return -errno;
		close(tmp[i]);
	}
	return 0;
}

/* The pty comes from the container's own /dev/ptmx, as with runc, so that `tty`
 * names a file the container can see; the agent gets the master. */
static int gi_terminal(const struct gi_child *c, struct gi_err *e)
{
	struct winsize ws = { .ws_row = c->proc->rows, .ws_col = c->proc->cols };
	autoclose int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	autoclose int slave = -1;
	int unlock = 0, n = 0, ret;

	if (master < 0)
		return gi_failerr(e, -errno, "terminal: open /dev/ptmx in the container");
	if (ioctl(master, TIOCSPTLCK, &unlock) || ioctl(master, TIOCGPTN, &n))
		return gi_failerr(e, -errno, "terminal: unlock pty");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return gi_failerr(e, -errno, "terminal: open the pty's slave");
	if (ws.ws_row && ws.ws_col && ioctl(slave, TIOCSWINSZ, &ws))
		return gi_failerr(e, -errno, "terminal: window size");
	if (!c->exec) {
		char path[32];
		int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOCTTY | O_CLOEXEC, 0600);

		snprintf(path, sizeof(path), "/dev/pts/%d", n);
		if (fd >= 0)
			close(fd);
		if (fd < 0 || mount(path, "/dev/console", NULL, MS_BIND, NULL))
			return gi_failerr(e, -errno, "terminal: /dev/console");
	}
	ret = gi_sync_send(c->sync, GI_SYNC_PTY, NULL, master);
	if (ret)
		return gi_failerr(e, ret, "terminal: passing the pty");
	if (ioctl(slave, TIOCSCTTY, 0))
		return gi_failerr(e, -errno, "terminal: set controlling terminal");
	return gi_stdio_install((int[3]){ slave, slave, slave });
}

static int gi_join_namespaces(const struct gi_child *c, struct gi_err *e)
{
	static const int types[] = { CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWCGROUP,
				     CLONE_NEWNS };

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (c->ns[i] >= 0 && setns(c->ns[i], types[i]))
			return gi_failerr(e, -errno, "joining the container's namespaces");
	return 0;
}

static int gi_unshare(const struct gi_child *c, struct gi_err *e)
{
	int flags = CLONE_NEWNS;

	if (c->namespaces & PROTO_NS_UTS)
		flags |= CLONE_NEWUTS;
	if (c->namespaces & PROTO_NS_IPC)
		flags |= CLONE_NEWIPC;
	if (c->namespaces & PROTO_NS_NET)
		flags |= CLONE_NEWNET;
	/* After joining the cgroup, so that it is the namespace's root. */
	if (c->namespaces & PROTO_NS_CGROUP)
		flags |= CLONE_NEWCGROUP;
	if (unshare(flags))
		return gi_failerr(e, -errno, "unshare namespaces");
	return 0;
}

/* Namespaces, cgroup, rlimits, oom score, root filesystem, terminal or stdio. */
static int gi_child_env(const struct gi_child *c, struct gi_err *e)
{
	const struct proto_spec *s = c->spec;
	int ret;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) || setsid() < 0)
		return gi_failerr(e, -errno, "new session");
	umask(022);
	ret = gi_cgroup_join(c->cgroup_procs);
	if (ret)
		return gi_failerr(e, ret, "joining the container's cgroup");
	ret = c->exec ? gi_join_namespaces(c, e) : gi_unshare(c, e);
	if (!ret)
		ret = gi_rlimits_apply(c->proc, e);
	if (!ret)
		ret = gi_oom_score_apply(c->proc, e);
	if (!ret && !c->exec)
		ret = gi_rootfs_prepare(s, e);
	if (!ret && c->proc->flags & PROTO_PROC_TERMINAL)
		ret = gi_terminal(c, e);
	else if (!ret && (ret = gi_stdio_install(c->stdio)))
		gi_failerr(e, ret, "stdio");
	if (!ret && !c->exec)
		ret = gi_rootfs_finish(s, e);
	return ret;
}

/* seccomp (before the privileges go, when it needs them), user, capabilities,
 * umask, cwd, environment and the executable's path. */
static int gi_child_process(const struct gi_child *c, char *path, size_t size, char ***envp,
			    struct gi_err *e)
{
	const struct proto_process *p = c->proc;
	int ret = 0;

	if (c->spec->flags & PROTO_SPEC_SECCOMP && !(p->flags & PROTO_PROC_NNP))
		ret = gi_seccomp_load(&c->spec->seccomp, e);
	if (!ret)
		ret = gi_bounding_apply(p, e);
	if (!ret)
		ret = gi_user_apply(p, e);
	if (!ret)
		ret = gi_caps_apply(p, e);
	if (ret)
		return ret;
	umask(p->flags & PROTO_PROC_UMASK ? p->umask & 0777 : 022);
	if (chdir(p->cwd[0] ? p->cwd : "/"))
		return gi_failerr(e, -errno, "chdir to cwd (\"%s\") set in config.json failed",
				  p->cwd);
	*envp = gi_env_build(p);
	if (!*envp)
		return gi_fail(e, -ENOMEM, "environment");
	if (!p->args.n)
		return gi_fail(e, -EINVAL, "args must not be empty");
	return gi_lookpath(p->args.v[0], *envp, path, size, e);
}

/* --preserve-fds: extra[i] becomes fd 3 + i, and with 0-2 the only fds that stay
 * open across exec. Late, so that the startContainer hooks do not inherit them;
 * first every source is moved above the targets (the sync channel too, which
 * may sit where one goes), so that no dup2 closes one still needed. */
static int gi_extras_install(const struct gi_child *c, int *sync)
{
	int n = (int)c->proc->n_extra, top = 3 + n, tmp[PROTO_MAX_EXTRA_FDS];

	if (!n)
		return 0;
	if (*sync < top && (*sync = fcntl(*sync, F_DUPFD_CLOEXEC, top)) < 0)
		return -errno;
	for (int i = 0; i < n; i++)
		if ((tmp[i] = fcntl(c->extra[i], F_DUPFD_CLOEXEC, top)) < 0)
			return -errno;
	for (int i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + i) < 0)
			return -errno;
		close(tmp[i]);
	}
	return 0;
}

void gi_child_run(const struct gi_child *c)
{
	struct gi_err e = { 0 };
	char path[PROTO_MAX_PATH + PROTO_MAX_ARG];
	char **envp = NULL;
	struct gi_sync go;
	sigset_t none;
	int fd, sync = c->sync, ret;

	/* The agent's signal handling is not the container's. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (gi_child_env(c, &e) || gi_child_process(c, path, sizeof(path), &envp, &e) ||
	    gi_sync_send(c->sync, GI_SYNC_READY, NULL, -1))
		goto fail;
	if (gi_sync_recv(c->sync, &go, &fd) || go.type != GI_SYNC_GO)
		_exit(127);
	if (c->proc->flags & PROTO_PROC_NNP && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		gi_failerr(&e, -errno, "no_new_privs");
		goto fail;
	}
	/* runc's place for them: at start, in the container, before the exec. */
	if (!c->exec && gi_hooks_run(c->spec, &e))
		goto fail;
	if ((ret = gi_extras_install(c, &sync))) {
		gi_failerr(&e, ret, "--preserve-fds: installing fds 3 to %u",
			   2 + c->proc->n_extra);
		goto fail;
	}
	/* Last before exec, so the profile has the fewest syscalls to allow. */
	if (c->spec->flags & PROTO_SPEC_SECCOMP && c->proc->flags & PROTO_PROC_NNP &&
	    gi_seccomp_load(&c->spec->seccomp, &e))
		goto fail;
	execve(path, (char *const *)c->proc->args.v, envp);
	gi_failerr(&e, -errno, "exec %s", path);
fail:
	gi_sync_send(sync, GI_SYNC_ERROR, &e, -1);
	_exit(e.err == -EACCES || e.err == -ENOEXEC ? 126 : 127);
}
