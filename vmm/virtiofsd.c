/* Running virtiofsd for a --share: finding the binary and telling its flavour,
 * choosing a sandbox that works on this host, starting it in a PID namespace of
 * its own with the vhost-user socket already connected, and supervising it (see
 * virtiofsd.h for the lifetime rules); and parsing the --fs/--share arguments. */
#include "vmm/virtiofsd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/virtio/fs.h"

#define VFSD_LISTEN_FD 3       /* where virtiofsd finds the socket: --fd=3 */
#define VFSD_MAX_ARGS 24

struct vfsd {
	pid_t pid;
	int pidfd;
	bool reaped;
	bool reported;             /* its death was logged */
	int status;                /* wait status once reaped */
	struct ev_loop *loop;
	bool watched;
	void (*died)(void *arg);
	void *arg;
	char tag[FS_TAG_MAX + 1];
	int log_fd;                /* read end of virtiofsd's stderr */
	bool log_watched;
	size_t line_len;
	char line[512];            /* a partial line of it */
};

enum vfsd_flavour { VFSD_C, VFSD_RUST };

extern char **environ;

const char *vfsd_find(const char *configured)
{
	static const char *const known[] = { "/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd",
					      "/usr/lib/virtiofsd" };
	static char found[PATH_MAX];
	const char *path = getenv("PATH");

	if (configured)
		return configured;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
		if (access(known[i], X_OK) == 0)
			return known[i];
	}
	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && snprintf(found, sizeof(found), "%.*s/virtiofsd", (int)n, path) <
				 (int)sizeof(found) &&
		    access(found, X_OK) == 0)
			return found;
		path += n + (path[n] == ':');
	}
	return NULL;
}

/* Runs `bin --help` and looks for the Rust implementation's option name. The C
 * one (QEMU <= 7.2) takes -o source=DIR instead of --shared-dir. */
static enum vfsd_flavour vfsd_flavour(const char *bin)
{
	char *argv[] = { (char *)bin, "--help", NULL };
	char buf[16384];
	size_t got = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int p[2], st;

	if (pipe2(p, O_CLOEXEC) < 0)
		return VFSD_C;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	int err = posix_spawn(&pid, bin, &fa, NULL, argv, environ);

	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	while (!err && got < sizeof(buf) - 1) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		ssize_t n = poll(&pf, 1, 5000) == 1 ? read(p[0], buf + got, sizeof(buf) - 1 - got) : 0;

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	close(p[0]);
	if (!err) {
		kill(pid, SIGKILL); /* only if it is still going: it never should be */
		waitpid(pid, &st, 0);
	}
	return strstr(buf, "--shared-dir") ? VFSD_RUST : VFSD_C;
}

const char *vfsd_flavour_name(const char *bin)
{
	return vfsd_flavour(bin) == VFSD_RUST ? "Rust" : "C";
}

/* What virtiofsd's namespace sandbox does first: a private mount namespace, the
 * share bound onto itself, and pivot_root into it. 0 if that works here. */
static int vfsd_probe_pivot_root(const char *dir)
{
	int st;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
		    mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(dir) < 0 ||
		    syscall(SYS_pivot_root, ".", ".") < 0)
			_exit(errno & 0xff ? errno & 0xff : 1);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (WIFEXITED(st))
		return -WEXITSTATUS(st);
	return -ECHILD;
}

/* Probed per share: whether pivot_root works depends on the directory too (sharing
 * "/" itself never works, a container's rootfs usually does). */
static enum vfsd_sandbox vfsd_pick_sandbox(const struct vfsd_share *s, enum vfsd_flavour fl)
{
	int probed;

	if (s->sandbox != VFSD_SANDBOX_AUTO)
		return s->sandbox;
	if (geteuid() != 0) {
		/* Only the Rust virtiofsd runs unprivileged, and only unsandboxed. */
		log_info("virtiofsd for '%s': sandbox=none (not running as root)", s->tag);
		return VFSD_SANDBOX_NONE;
	}
	probed = vfsd_probe_pivot_root(s->dir);
	if (probed == 0) {
		log_info("virtiofsd for '%s': sandbox=namespace", s->tag);
		return VFSD_SANDBOX_NAMESPACE;
	}
	log_info("virtiofsd for '%s': sandbox=chroot (pivot_root in a new mount namespace "
		 "fails here: %s)", s->tag, strerror(-probed));
	return VFSD_SANDBOX_CHROOT;
}

static const char *const vfsd_sandbox_names[] = { "auto", "namespace", "chroot", "none" };

/* argv for either flavour; strings live in `store` (the caller's, until exec). */
static int vfsd_argv(char **argv, char (*store)[PATH_MAX + 16], const char *bin,
		     const struct vfsd_share *s, enum vfsd_flavour fl, enum vfsd_sandbox sb,
		     bool debug)
{
	static const char *const cache_c[] = { "none", "auto", "always" };
	static const char *const cache_rust[] = { "never", "auto", "always" };
	unsigned n = 0, k = 0;

#define VFSD_ARG(...) (snprintf(store[k], sizeof(store[k]), __VA_ARGS__), argv[n++] = store[k++])
	argv[n++] = (char *)bin;
	VFSD_ARG("--fd=%d", VFSD_LISTEN_FD);
	if (fl == VFSD_RUST) {
		VFSD_ARG("--shared-dir=%s", s->dir);
		VFSD_ARG("--cache=%s", cache_rust[s->cache]);
		VFSD_ARG("--sandbox=%s", vfsd_sandbox_names[sb]);
		VFSD_ARG("--log-level=%s", debug ? "debug" : "warn");
		if (s->xattr)
			VFSD_ARG("--xattr");
	} else {
		if (sb == VFSD_SANDBOX_NONE)
			return -EINVAL; /* the C virtiofsd always sandboxes */
		argv[n++] = "-f";
		VFSD_ARG("-osource=%s", s->dir);
		VFSD_ARG("-ocache=%s", cache_c[s->cache]);
		VFSD_ARG("-osandbox=%s", vfsd_sandbox_names[sb]);
		VFSD_ARG("-olog_level=%s", debug ? "debug" : "warn");
		VFSD_ARG("-o%s", s->xattr ? "xattr" : "no_xattr");
	}
#undef VFSD_ARG
	argv[n] = NULL;
	return 0;
}

/* Everything the child needs, prepared before the fork: after it, only
 * async-signal-safe calls. */
struct vfsd_child {
	const char *bin;
	char **argv;
	const char *ro_dir;        /* make this a read-only bind mount first */
	int listen_fd, null_fd, err_fd, parent_pidfd;
	int log_fd;                /* virtiofsd's stderr: a pipe to the VMM */
};

static int vfsd_make_ro(const char *dir)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	if (syscall(SYS_mount_setattr, AT_FDCWD, dir, AT_RECURSIVE, &a, sizeof(a)) == 0)
		return 0;
	/* Before Linux 5.12: the top mount only. */
	return mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
}

static void __attribute__((noreturn)) vfsd_child_main(const struct vfsd_child *c)
{
	struct pollfd pf = { .fd = c->parent_pidfd, .events = POLLIN };
	sigset_t none;
	int err;

	/* PDEATHSIG follows the thread that forked: this is the VMM's main thread,
	 * which lives as long as the VMM. If the VMM already died, stop here. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || poll(&pf, 1, 0) != 0)
		_exit(127);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (c->ro_dir && vfsd_make_ro(c->ro_dir) < 0)
		goto fail;
	if (dup2(c->null_fd, 0) < 0 || dup2(c->null_fd, 1) < 0 || dup2(c->log_fd, 2) < 0 ||
	    dup2(c->listen_fd, VFSD_LISTEN_FD) < 0)
		goto fail;
	/* Nothing the VMM inherited from its own parent reaches virtiofsd. */
	syscall(SYS_close_range, VFSD_LISTEN_FD + 1, ~0u, CLOSE_RANGE_CLOEXEC);
	execv(c->bin, c->argv);
fail:
	err = errno;
	(void)!write(c->err_fd, &err, sizeof(err));
	_exit(127);
}

/* clone3 with a pidfd and a new PID namespace (and a mount namespace for
 * read-only shares). The child's pid, or -errno. */
static pid_t vfsd_clone(const struct vfsd_child *c, int *pidfd)
{
	struct clone_args ca = {
		.flags = CLONE_PIDFD | CLONE_NEWPID | (c->ro_dir ? CLONE_NEWNS : 0),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &ca, sizeof(ca));

	if (pid < 0 && errno == EPERM && !c->ro_dir) {
		/* Unprivileged: no PID namespace; PDEATHSIG still covers virtiofsd. */
		ca.flags &= ~(uint64_t)CLONE_NEWPID;
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
	}
	if (pid == 0)
		vfsd_child_main(c);
	return pid < 0 ? -errno : (pid_t)pid;
}

/* Moves fd to 10 or above (still CLOEXEC) so that the child's dup2s onto 0, 1 and 3
 * can never clobber one of its other fds. */
static int vfsd_high_fd(int fd)
{
	int hi;

	if (fd < 0)
		return fd;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 10);
	close(fd);
	return hi < 0 ? -1 : hi;
}

/* An anonymous (autobound, abstract) listener with our connection already queued:
 * virtiofsd's one accept() returns it. */
static int vfsd_socket(int *listen_fd, int *conn_fd)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	socklen_t len = sizeof(sa_family_t);
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, len) < 0 || listen(l, 1) < 0)
		goto fail;
	len = sizeof(a);
	if (getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
	    connect(c, (struct sockaddr *)&a, len) < 0)
		goto fail;
	*listen_fd = vfsd_high_fd(l);
	*conn_fd = c;
	return *listen_fd < 0 ? -EMFILE : 0;
fail:;
	int err = -errno;

	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	return err;
}

static enum vfsd_flavour vfsd_flavour_cached(const char *bin)
{
	static char last[PATH_MAX];
	static enum vfsd_flavour fl;

	if (strcmp(last, bin)) {
		fl = vfsd_flavour(bin);
		snprintf(last, sizeof(last), "%s", bin);
	}
	return fl;
}

struct vfsd_spawn_ctx {
	char *argv[VFSD_MAX_ARGS];
	char store[VFSD_MAX_ARGS][PATH_MAX + 16];
	char ro_dir[PATH_MAX];
};

/* Starts the child; on success the exec went through. */
static int vfsd_start(struct vfsd *p, struct vfsd_child *c)
{
	int err_pipe[2], log_pipe[2], err = 0;
	ssize_t n;

	if (pipe2(err_pipe, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(log_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		err = -errno;
		close(err_pipe[0]);
		close(err_pipe[1]);
		return err;
	}
	p->log_fd = log_pipe[0];
	c->log_fd = vfsd_high_fd(log_pipe[1]);
	c->err_fd = vfsd_high_fd(err_pipe[1]);
	c->null_fd = vfsd_high_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
	c->parent_pidfd = vfsd_high_fd((int)syscall(SYS_pidfd_open, getpid(), 0));
	if (c->err_fd < 0 || c->null_fd < 0 || c->parent_pidfd < 0 || c->log_fd < 0)
		err = -EMFILE;
	else
		p->pid = vfsd_clone(c, &p->pidfd);
	if (!err && p->pid < 0) {
		err = p->pid;
		p->pid = -1;
	}
	/* The child has its copies (or never will). */
	if (c->err_fd >= 0)
		close(c->err_fd);
	if (c->null_fd >= 0)
		close(c->null_fd);
	if (c->parent_pidfd >= 0)
		close(c->parent_pidfd);
	if (c->log_fd >= 0)
		close(c->log_fd);
	if (!err) {
		do
			n = read(err_pipe[0], &err, sizeof(err));
		while (n < 0 && errno == EINTR);
		err = n == sizeof(err) ? -err : 0;
	}
	close(err_pipe[0]);
	return err;
}

int vfsd_spawn(struct vfsd **out, const char *bin, const struct vfsd_share *s, bool debug,
	       int *sock)
{
	struct vfsd_spawn_ctx *x = calloc(1, sizeof(*x));
	struct vfsd *p = calloc(1, sizeof(*p));
	struct vfsd_child c = { .bin = bin, .listen_fd = -1 };
	enum vfsd_flavour fl = vfsd_flavour_cached(bin);
	int ret = -ENOMEM, conn = -1;

	if (!x || !p)
		goto out;
	p->pid = -1;
	p->pidfd = -1;
	p->log_fd = -1;
	snprintf(p->tag, sizeof(p->tag), "%s", s->tag);
	ret = vfsd_argv(x->argv, x->store, bin, s, fl, vfsd_pick_sandbox(s, fl), debug);
	if (ret) {
		log_error("virtiofsd %s: the C virtiofsd cannot run without a sandbox", bin);
		goto out;
	}
	if (s->ro && !realpath(s->dir, x->ro_dir)) {
		ret = -errno;
		log_error("share '%s': %s: %s", s->tag, s->dir, strerror(errno));
		goto out;
	}
	c.argv = x->argv;
	c.ro_dir = s->ro ? x->ro_dir : NULL;
	ret = vfsd_socket(&c.listen_fd, &conn);
	if (!ret)
		ret = vfsd_start(p, &c);
	if (c.listen_fd >= 0)
		close(c.listen_fd);
	if (ret) {
		log_error("virtiofsd %s for share '%s': %s", bin, s->tag, strerror(-ret));
		goto out;
	}
	log_debug("virtiofsd %s for share '%s': pid %d", bin, s->tag, p->pid);
	*sock = steal_fd(&conn);
	*out = steal_ptr(&p);
out:
	if (conn >= 0)
		close(conn);
	vfsd_destroy(p, 0);
	free(x);
	return ret;
}

pid_t vfsd_pid(const struct vfsd *p)
{
	return p->pid;
}

static void vfsd_describe(const struct vfsd *p, char *buf, size_t len)
{
	if (WIFEXITED(p->status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(p->status));
	else if (WIFSIGNALED(p->status))
		snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(p->status),
			 strsignal(WTERMSIG(p->status)));
	else
		snprintf(buf, len, "ended (wait status 0x%x)", (unsigned)p->status);
}

/* 1 if reaped now or before, 0 if still running. */
static int vfsd_reap(struct vfsd *p, bool block)
{
	pid_t r;

	if (p->reaped)
		return 1;
	do
		r = waitpid(p->pid, &p->status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->reaped = true;
		return 1;
	}
	return 0;
}

/* One line of virtiofsd's stderr, logged as ours. The C virtiofsd stamps each line
 * with "[time] [ID: n] "; we have our own prefix. It also reports ordinary events
 * (ring stops, our hang-up at shutdown) at error level: those only go to debug. */
static void vfsd_log_line(const struct vfsd *p, char *line)
{
	static const char *const noise[] = { "fv_remove_watch: TODO", "Unexpected poll revents",
					     "vhost-user socket connection" };
	char *s = line;

	if (s[0] == '[' && (s = strstr(s, "] [ID: ")) && (s = strstr(s + 7, "] ")))
		s += 2;
	else
		s = line;
	if (!*s)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(noise); i++) {
		if (strstr(s, noise[i])) {
			log_debug("virtiofsd[%s]: %s", p->tag, s);
			return;
		}
	}
	log_msg("virtiofsd", "%s: %s", p->tag, s);
}

/* Reads what is there; at EOF or on a full buffer, the partial line goes out too. */
static void vfsd_relay_log(struct vfsd *p, bool flush)
{
	for (;;) {
		ssize_t n = read(p->log_fd, p->line + p->line_len, sizeof(p->line) - 1 - p->line_len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			p->line_len += (size_t)n;
		p->line[p->line_len] = 0;
		while ((nl = memchr(p->line, '\n', p->line_len))) {
			*nl = 0;
			vfsd_log_line(p, p->line);
			p->line_len -= (size_t)(nl + 1 - p->line);
			memmove(p->line, nl + 1, p->line_len + 1);
		}
		if (p->line_len == sizeof(p->line) - 1 || (n <= 0 && flush && p->line_len)) {
			vfsd_log_line(p, p->line);
			p->line_len = 0;
		}
		if (n <= 0)
			return;
	}
}

static void vfsd_on_log(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vfsd *p = arg;

	vfsd_relay_log(p, false);
	if (events & (EPOLLHUP | EPOLLERR)) {
		vfsd_relay_log(p, true);
		ev_del(loop, fd);
		p->log_watched = false;
	}
}

/* Reaps and reports virtiofsd if it has died. true if it has. */
static bool vfsd_reap_report(struct vfsd *p)
{
	char how[96];

	if (p->reported || !vfsd_reap(p, false))
		return p->reported;
	if (p->watched)
		ev_del(p->loop, p->pidfd);
	p->watched = false;
	p->reported = true;
	vfsd_relay_log(p, true); /* its last words first */
	vfsd_describe(p, how, sizeof(how));
	log_error("virtiofsd (pid %d) serving share '%s' %s: shutting the VM down", p->pid, p->tag,
		  how);
	return true;
}

static void vfsd_on_exit(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vfsd *p = arg;

	if (vfsd_reap_report(p) && p->died)
		p->died(p->arg);
}

bool vfsd_check(struct vfsd *p, int timeout_ms)
{
	struct pollfd pf = { .fd = p->pidfd, .events = POLLIN };

	if (!p->reported && !p->reaped)
		(void)!poll(&pf, 1, timeout_ms);
	return vfsd_reap_report(p);
}

int vfsd_watch(struct vfsd *p, struct ev_loop *loop, void (*died)(void *arg), void *arg)
{
	int ret = ev_add(loop, p->pidfd, EPOLLIN, vfsd_on_exit, p);

	if (ret)
		return ret;
	p->loop = loop;
	p->watched = true;
	ret = ev_add(loop, p->log_fd, EPOLLIN, vfsd_on_log, p);
	if (ret)
		return ret;
	p->log_watched = true;
	p->died = died;
	p->arg = arg;
	return 0;
}

void vfsd_destroy(struct vfsd *p, int timeout_ms)
{
	struct pollfd pf;
	char how[96];

	if (!p)
		return;
	if (p->watched)
		ev_del(p->loop, p->pidfd);
	if (p->log_watched)
		ev_del(p->loop, p->log_fd);
	if (p->pid > 0 && !p->reaped) {
		pf = (struct pollfd){ .fd = p->pidfd, .events = POLLIN };
		if (timeout_ms <= 0 || poll(&pf, 1, timeout_ms) != 1)
			kill(p->pid, SIGKILL);
		vfsd_reap(p, true);
		vfsd_describe(p, how, sizeof(how));
		log_debug("virtiofsd (pid %d) for share '%s' %s", p->pid, p->tag, how);
	}
	if (p->log_fd >= 0) {
		vfsd_relay_log(p, true);
		close(p->log_fd);
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static const struct vfsd_share vfsd_defaults = { .xattr = true, .cache = VFSD_CACHE_NONE,
						 .sandbox = VFSD_SANDBOX_AUTO };

static int vfsd_split(char *arg, const char *opt, const char *what, char **rest,
		      struct vfsd_share *s)
{
	char *eq = strchr(arg, '=');

	*s = vfsd_defaults;
	if (!eq || eq == arg || !eq[1]) {
		log_error("--%s %s: expected TAG=%s", opt, arg, what);
		return -EINVAL;
	}
	*eq = 0;
	if (fs_check_tag(arg)) {
		log_error("--%s: tag '%s' is longer than %d bytes", opt, arg, FS_TAG_MAX);
		return -EINVAL;
	}
	s->tag = arg;
	*rest = eq + 1;
	return 0;
}

int vfsd_parse_fs(char *arg, struct vfsd_share *s)
{
	char *sock;
	int ret = vfsd_split(arg, "fs", "SOCKET", &sock, s);

	if (!ret)
		s->socket = sock;
	return ret;
}

static int vfsd_lookup(const char *v, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(v, names[i]))
			return (int)i;
	}
	return -1;
}

/* 1: o was an option and is applied; 0: not an option (part of DIR); <0: bad value. */
static int vfsd_parse_opt(struct vfsd_share *s, const char *o)
{
	static const char *const caches[] = { "none", "auto", "always" };
	static const char *const onoff[] = { "off", "on" };
	int i;

	if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
		s->ro = o[1] == 'o';
		return 1;
	}
	if (!strncmp(o, "cache=", 6)) {
		i = vfsd_lookup(o + 6, caches, ARRAY_SIZE(caches));
		s->cache = (enum vfsd_cache)i;
	} else if (!strncmp(o, "sandbox=", 8)) {
		i = vfsd_lookup(o + 8, vfsd_sandbox_names, ARRAY_SIZE(vfsd_sandbox_names));
		s->sandbox = (enum vfsd_sandbox)i;
	} else if (!strncmp(o, "xattr=", 6)) {
		i = vfsd_lookup(o + 6, onoff, ARRAY_SIZE(onoff));
		s->xattr = i == 1;
	} else {
		return 0;
	}
	if (i < 0) {
		log_error("--share: bad option '%s' (cache=none|auto|always, "
			  "sandbox=auto|namespace|chroot|none, xattr=on|off)", o);
		return -EINVAL;
	}
	return 1;
}

int vfsd_parse_share(char *arg, struct vfsd_share *s)
{
	char *dir, *comma;
	int ret = vfsd_split(arg, "share", "DIR[,ro][,cache=MODE][,sandbox=MODE]", &dir, s);

	while (!ret && (comma = strrchr(dir, ','))) {
		ret = vfsd_parse_opt(s, comma + 1);
		if (ret <= 0)
			break;
		*comma = 0;
		ret = 0;
	}
	if (ret < 0)
		return ret;
	if (!*dir) {
		log_error("--share %s: no directory given", s->tag);
		return -EINVAL;
	}
	s->dir = dir;
	return 0;
}
