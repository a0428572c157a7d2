/* Starting a container's VMM (see launch.h).
 *
 * The VMM's view of the world, set up here: its cwd is the state directory; fd 3
 * is the ready pipe; fd 4 the pty slave when process.terminal; fds 5 and up the
 * taps of the network it is attached to (one --net each); fds LAUNCH_EXTRA_FD and
 * up the caller's fds 3.. of --preserve-fds; fds 0/1/2 are the
 * caller's (no terminal: the VMM relays them to the container process, exactly as
 * runc's container process holds them) or /dev/null (terminal: then nothing of
 * ours stays open in it). It is already in the container's host cgroup when it
 * execs, and in a session of its own. For create it is double-forked, so that the
 * caller (containerd's shim, conmon: subreapers) reaps it; for a foreground run
 * it is our child and we wait for it. */
#include "runtime/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/staging.h"
#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/logging.h"
#include "runtime/spec2proto.h"
#include "runtime/vmconf.h"

#define LAUNCH_READY_FD 3
#define LAUNCH_CONSOLE_FD 4
#define LAUNCH_NET_FD 5    /* up to PROTO_MAX_NETIFS taps: 5..8 */
#define LAUNCH_EXTRA_FD 16 /* --preserve-fds: the VMM's --extra-fds 16:N */
#define LAUNCH_STAGE_FD 64 /* above every fixed number: sources are moved here first */
#define LAUNCH_MAX_ARGS 48
#define LAUNCH_PORT_SUFFIX 12 /* "_4294967295" and the NUL of a port path */

static bool has_option(const struct oci_mount *m, const char *opt)
{
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], opt))
			return true;
	return false;
}

/* The rootfs and every bind source into the share; names[i] for mounts[i]. */
static int launch_stage(struct rt_container *c, const struct oci_config *cfg, const char *rootfs,
			char (*names)[STAGING_NAME_MAX], struct rt_err *err)
{
	struct staging s;
	int r;

	r = staging_create(&s, c->dir);
	if (r == 0)
		r = staging_add_rootfs(&s, rootfs, false);
	if (r < 0) {
		staging_fini(&s);
		return rt_err_sys(err, r, "sharing the rootfs %s with the VM", rootfs);
	}
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		char src[PATH_MAX];

		if (!rt_mount_is_bind(m))
			continue;
		if (!m->source || !m->source[0]) {
			r = rt_err_set(err, EINVAL, "config.json: mounts[%zu] (%s): bind mount without a source",
				       i, m->destination);
			break;
		}
		/* A relative source is relative to the bundle, as for runc. */
		if (m->source[0] == '/')
			snprintf(src, sizeof(src), "%s", m->source);
		else
			snprintf(src, sizeof(src), "%s/%s", c->st.bundle, m->source);
		r = staging_add(&s, src, has_option(m, "ro"), names[i], STAGING_NAME_MAX);
		if (r < 0) {
			rt_err_sys(err, r, "mounts[%zu] (%s): source %s", i, m->destination, src);
			break;
		}
	}
	staging_fini(&s);
	return r;
}

/* What startContainer hooks read: the state as it will be when they run, during
 * start with the process not yet exec'd ("created"); the guest adds the pid. */
static int launch_hook_state(const struct rt_container *c, const struct oci_config *cfg,
			     char **out, struct rt_err *err)
{
	struct oci_state st = c->st;
	size_t len;

	*out = NULL;
	if (!cfg->hooks[OCI_HOOK_START_CONTAINER].n)
		return 0;
	st.status = OCI_STATUS_CREATED;
	return oci_state_to_json(&st, OCI_STATE_VIEW_GUEST_HOOK, NULL, out, &len, err);
}

int rt_launch_prepare(struct rt_container *c, const struct oci_config *cfg, const char *rootfs,
		      struct rt_net *net, const struct rt_create_opts *o, struct rt_err *err)
{
	size_t n = cfg->n_mounts ? cfg->n_mounts : 1;
	autofree char(*names)[STAGING_NAME_MAX] = calloc(n, STAGING_NAME_MAX);
	autofree const char **ptrs = calloc(n, sizeof(*ptrs));
	struct rt_spec_in in = { .cfg = cfg, .id = c->id, .root_tag = RT_SHARE_TAG,
				 .root_path = STAGING_ROOTFS };
	autofree char *hook_state = NULL;
	struct proto_buf b;
	int r;

	if (!names || !ptrs)
		return rt_err_set(err, ENOMEM, "out of memory");
	r = launch_hook_state(c, cfg, &hook_state, err);
	if (r < 0)
		return r;
	in.hook_state = hook_state;
	in.netifs = net->spec;
	in.n_netifs = net->n;
	in.routes = net->routes;
	in.n_routes = net->n_routes;
	in.extra = o->extra;
	in.n_extra = (uint32_t)o->preserve_fds;
	r = launch_stage(c, cfg, rootfs, names, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < cfg->n_mounts; i++)
		ptrs[i] = names[i][0] ? names[i] : NULL;
	in.bind_names = ptrs;
	proto_buf_init(&b);
	r = rt_spec_encode(&in, &b, err);
	if (r == 0)
		r = oci_file_write_atomic(c->dirfd, RT_SPEC_FILE, b.data, b.len, 0600, err);
	proto_buf_fini(&b);
	return r;
}

/* The VMM's argv, built before the fork. */
struct launch_argv {
	char *v[LAUNCH_MAX_ARGS];
	int n;
	char store[24][PATH_MAX + 32];
	int used;
	int net_fds[PROTO_MAX_NETIFS]; /* the taps, for fds LAUNCH_NET_FD and up */
	unsigned n_net;
	int n_extra; /* --preserve-fds: our fds 3.. go to LAUNCH_EXTRA_FD.. */
};

static void arg(struct launch_argv *a, const char *s)
{
	if (a->n < LAUNCH_MAX_ARGS - 1)
		a->v[a->n++] = (char *)s;
	a->v[a->n] = NULL;
}

static void argf(struct launch_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void argf(struct launch_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s = a->store[a->used < 23 ? a->used++ : 23];

	va_start(ap, fmt);
	vsnprintf(s, sizeof(a->store[0]), fmt, ap);
	va_end(ap);
	arg(a, s);
}

static int boot_timeout_ms(void)
{
	const char *e = getenv("RUNVM_BOOT_TIMEOUT");
	long s = e ? strtol(e, NULL, 10) : 0;

	return (int)((s > 0 && s < 86400 ? s : RT_BOOT_TIMEOUT_S) * 1000);
}

/* A socket the guest side reaches as "<path>_<port>" must fit in sun_path with
 * the port: relative to the VMM's cwd (the state directory) when the absolute
 * path is too long. */
static void sock_arg(struct launch_argv *a, const char *dir, const char *name)
{
	if (strlen(dir) + 1 + strlen(name) + LAUNCH_PORT_SUFFIX <= 108)
		argf(a, "%s/%s", dir, name);
	else
		argf(a, "%s", name);
}

/* One --net per interface: its tap at fd LAUNCH_NET_FD + i, the guest NIC with the
 * interface's MAC and MTU. */
static void launch_net_args(struct launch_argv *a, const struct rt_net *net)
{
	for (unsigned i = 0; i < net->n; i++) {
		const uint8_t *m = net->spec[i].mac;

		a->net_fds[a->n_net++] = net->ifs[i].tap_fd;
		arg(a, "--net");
		argf(a, "tapfd=%u,mac=%02x:%02x:%02x:%02x:%02x:%02x,mtu=%u", LAUNCH_NET_FD + i, m[0],
		     m[1], m[2], m[3], m[4], m[5], net->spec[i].mtu);
	}
}

static void launch_build_argv(struct launch_argv *a, const struct rt_globals *g,
			      const struct rt_container *c, const struct rt_vm_files *f,
			      unsigned cpus, uint64_t mem, const struct rt_net *net, bool console,
			      int n_extra)
{
	memset(a, 0, sizeof(*a));
	a->n_extra = n_extra;
	arg(a, f->vmm);
	arg(a, "--container");
	arg(a, "--spec");
	argf(a, "%s/%s", c->dir, RT_SPEC_FILE);
	arg(a, "--ctl");
	sock_arg(a, c->dir, CTL_SOCKET_NAME);
	arg(a, "--vsock-uds");
	sock_arg(a, c->dir, CTL_VSOCK_NAME);
	arg(a, "--ready-fd");
	arg(a, "3");
	if (console) {
		arg(a, "--console-fd");
		arg(a, "4");
	}
	if (n_extra) {
		arg(a, "--extra-fds");
		argf(a, "%d:%d", LAUNCH_EXTRA_FD, n_extra);
	}
	arg(a, "--log");
	argf(a, "%s/%s", c->dir, RT_VMM_LOG);
	arg(a, "--kernel");
	arg(a, f->kernel);
	arg(a, "--initrd");
	arg(a, f->initrd);
	arg(a, "--mem");
	argf(a, "%llu", (unsigned long long)mem);
	arg(a, "--cpus");
	argf(a, "%u", cpus);
	arg(a, "--share");
	argf(a, "%s=%s/%s", RT_SHARE_TAG, c->dir, STAGING_SUBDIR);
	if (f->virtiofsd[0]) {
		arg(a, "--virtiofsd");
		arg(a, f->virtiofsd);
	}
	launch_net_args(a, net);
	/* Our own deadline is the one that counts (RUNVM_BOOT_TIMEOUT). */
	arg(a, "--create-timeout");
	argf(a, "%d", boot_timeout_ms() / 1000);
	arg(a, "--serial");
	if (g->debug)
		argf(a, "%s/%s", c->dir, RT_CONSOLE_LOG);
	else
		arg(a, "none");
	if (g->debug)
		arg(a, "--debug");
}

/* In the child: ready, console (when >= 0) and the preserved fds 3.. to their
 * numbers in the VMM; everything else is closed. Each source is first moved
 * above every target, so that no dup2 overwrites one still to be moved. */
static int launch_place_fds(const struct launch_argv *a, int *ready, int console,
			    bool null_stdio)
{
	enum { MAX_SRC = 2 + PROTO_MAX_NETIFS + RT_PRESERVE_FDS_MAX };
	int src[MAX_SRC], dst[MAX_SRC], n = 0;

	src[n] = *ready, dst[n++] = LAUNCH_READY_FD;
	if (console >= 0)
		src[n] = console, dst[n++] = LAUNCH_CONSOLE_FD;
	for (unsigned i = 0; i < a->n_net; i++)
		src[n] = a->net_fds[i], dst[n++] = LAUNCH_NET_FD + (int)i;
	for (int i = 0; i < a->n_extra; i++)
		src[n] = 3 + i, dst[n++] = LAUNCH_EXTRA_FD + i;
	for (int i = 0; i < n; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, LAUNCH_STAGE_FD)) < 0)
			return -1;
	*ready = src[0];
	if (null_stdio) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (dup2(src[i], dst[i]) < 0)
			return -1;
	*ready = LAUNCH_READY_FD;
	if (console < 0)
		close(LAUNCH_CONSOLE_FD);
	close_range(LAUNCH_NET_FD + a->n_net, LAUNCH_EXTRA_FD - 1, 0);
	close_range(LAUNCH_EXTRA_FD + (unsigned)a->n_extra, ~0U, 0);
	return 0;
}

/* In the child that becomes the VMM: only async-signal-safe calls. */
static void launch_child(const struct launch_argv *a, const char *dir, const char *cgdir,
			 int ready, int console, bool null_stdio)
{
	static const char failed[] = "error: cannot start the VMM\n";
	sigset_t none;
	int r;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	r = fcntl(ready, F_DUPFD_CLOEXEC, LAUNCH_STAGE_FD);
	if (r < 0)
		_exit(127);
	ready = r;
	if (cgdir[0] && rt_cgroup_join(cgdir) < 0) {
		static const char msg[] = "error: cannot join the container's cgroup\n";

		(void)!write(ready, msg, sizeof(msg) - 1);
		_exit(127);
	}
	if (launch_place_fds(a, &ready, console, null_stdio) < 0 || chdir(dir) < 0)
		goto fail;
	execv(a->v[0], a->v);
fail:
	(void)!write(ready, failed, sizeof(failed) - 1);
	_exit(127);
}

/* create: the VMM is a grandchild, in a session of its own; *pid from a pipe. */
static int launch_detached(const struct launch_argv *a, const char *dir, const char *cgdir,
			   int ready, int console, bool null_stdio, pid_t *pid, struct rt_err *err)
{
	int pp[2], st;
	pid_t mid, vmm = -1;

	if (pipe2(pp, O_CLOEXEC) < 0)
		return rt_err_sys(err, errno, "pipe");
	mid = fork();
	if (mid < 0) {
		close(pp[0]);
		close(pp[1]);
		return rt_err_sys(err, errno, "fork");
	}
	if (mid == 0) {
		setsid();
		vmm = fork();
		if (vmm == 0)
			launch_child(a, dir, cgdir, ready, console, null_stdio);
		(void)!write(pp[1], &vmm, sizeof(vmm));
		_exit(vmm < 0 ? 1 : 0);
	}
	close(pp[1]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	if (util_read_full(pp[0], &vmm, sizeof(vmm)) != sizeof(vmm) || vmm <= 0)
		vmm = -1;
	close(pp[0]);
	if (vmm < 0)
		return rt_err_set(err, EAGAIN, "cannot fork the VMM");
	*pid = vmm;
	return 0;
}

static int launch_foreground(const struct launch_argv *a, const char *dir, const char *cgdir,
			     int ready, int console, bool null_stdio, pid_t *pid,
			     struct rt_err *err)
{
	pid_t p = fork();

	if (p < 0)
		return rt_err_sys(err, errno, "fork");
	if (p == 0) {
		setsid();
		launch_child(a, dir, cgdir, ready, console, null_stdio);
	}
	*pid = p;
	return 0;
}

/* The end of a log file in the state directory. */
static ssize_t log_tail(const char *dir, const char *name, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = lseek(fd, 0, SEEK_END);
	lseek(fd, n > (ssize_t)size - 1 ? n - (ssize_t)size + 1 : 0, SEEK_SET);
	n = util_read_full(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* With --debug, a failed create shows the end of the guest's console: the state
 * directory with the whole of it is removed. */
static void debug_console_tail(const char *dir)
{
	char buf[2048];

	if (log_tail(dir, RT_CONSOLE_LOG, buf, sizeof(buf)) > 0)
		rt_log_debug("the end of the guest console:\n%s", buf);
	if (log_tail(dir, RT_VMM_LOG, buf, sizeof(buf)) > 0)
		rt_log_debug("the end of the VMM's log:\n%s", buf);
}

/* The last line the VMM logged: why it died, when it said nothing on the pipe. */
static void last_log_line(const char *dir, char *out, size_t size)
{
	char buf[4096];
	ssize_t n;
	char *end, *start;

	out[0] = '\0';
	n = log_tail(dir, RT_VMM_LOG, buf, sizeof(buf));
	if (n <= 0)
		return;
	end = buf + n;
	while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(buf, '\n');
	start = start ? start + 1 : buf;
	n = (ssize_t)MIN(strlen(start), size - 1);
	memcpy(out, start, (size_t)n);
	out[n] = '\0';
}

/* "ok\n", or "error: MSG\n", or EOF when the VMM died without a word. */
static int launch_wait_ready(int fd, const char *dir, struct rt_err *err)
{
	uint64_t deadline = util_now_ns() + (uint64_t)boot_timeout_ms() * 1000000ull;
	char buf[RT_ERR_MSG_MAX], line[512];
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = util_now_ns();
		ssize_t n;
		int pr;

		if (now >= deadline)
			return rt_err_set(err, ETIMEDOUT,
					  "the VM did not get the container ready within %d s",
					  boot_timeout_ms() / 1000);
		pr = poll(&p, 1, (int)((deadline - now) / 1000000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (!memchr(buf, '\n', len) && len < sizeof(buf) - 1)
				continue;
		}
		buf[len] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (!strcmp(buf, "ok"))
			return 0;
		if (!strncmp(buf, "error: ", 7))
			return rt_err_set(err, EINVAL, "%s", buf + 7);
		last_log_line(dir, line, sizeof(line));
		if (len)
			return rt_err_set(err, EPROTO, "unexpected word from the VMM: \"%s\"", buf);
		return rt_err_set(err, EIO, "the VMM exited before the container was created%s%s",
				  line[0] ? ": " : "", line);
	}
}

/* A terminal without a console socket (foreground run): the caller's own
 * terminal is the console. */
static struct termios launch_saved_tty;
static bool launch_tty_saved;

void rt_launch_restore_tty(void)
{
	if (launch_tty_saved)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &launch_saved_tty);
	launch_tty_saved = false;
}

static int launch_console(const struct oci_config *cfg, const struct rt_create_opts *o,
			  struct rt_pty *pty, int *console, struct rt_err *err)
{
	const struct oci_process *p = cfg->process;

	pty->master = pty->slave = -1;
	*console = -1;
	if (!p->terminal)
		return 0;
	if (o->console_socket) {
		if (rt_pty_open(pty, (uint16_t)p->console_height, (uint16_t)p->console_width, err) < 0)
			return -EIO;
		*console = pty->slave;
		return 0;
	}
	if (!isatty(STDIN_FILENO))
		return rt_err_set(err, EINVAL,
				  "process.terminal needs --console-socket, or a terminal on stdin");
	if (rt_tty_raw(STDIN_FILENO, &launch_saved_tty) == 0)
		launch_tty_saved = true;
	*console = STDIN_FILENO;
	return 0;
}

int rt_launch_vmm(const struct rt_globals *g, struct rt_container *c,
		  const struct oci_config *cfg, const struct rt_vm_files *f, unsigned cpus,
		  uint64_t mem, const struct rt_net *net, const struct rt_create_opts *o,
		  bool foreground, struct rt_err *err)
{
	const char *cgdir = c->st.rv.cgroup_dir ? c->st.rv.cgroup_dir : "";
	struct launch_argv a;
	struct rt_pty pty;
	int ready[2], console, r;
	pid_t pid = -1;

	if (launch_console(cfg, o, &pty, &console, err) < 0)
		return -EINVAL;
	launch_build_argv(&a, g, c, f, cpus, mem, net, console >= 0, o->preserve_fds);
	if (pipe2(ready, O_CLOEXEC) < 0) {
		rt_pty_close(&pty);
		return rt_err_sys(err, errno, "pipe");
	}
	rt_log_debug("launching %s: %u vCPU(s), %llu MiB", f->vmm, cpus, (unsigned long long)mem);
	r = foreground ? launch_foreground(&a, c->dir, cgdir, ready[1], console, console >= 0, &pid,
					   err)
		       : launch_detached(&a, c->dir, cgdir, ready[1], console, console >= 0, &pid,
					 err);
	close(ready[1]);
	if (r == 0) {
		c->st.pid = pid;
		rt_pid_start_time(pid, &c->st.rv.vmm_start_time);
		r = launch_wait_ready(ready[0], c->dir, err);
		if (r < 0 && g->debug)
			debug_console_tail(c->dir);
	}
	close(ready[0]);
	if (r == 0 && pty.master >= 0)
		r = rt_console_send(o->console_socket, pty.master, pty.name, err);
	rt_pty_close(&pty);
	if (r < 0)
		return r;
	free(c->st.rv.vmm_path);
	free(c->st.rv.kernel_path);
	free(c->st.rv.initrd_path);
	free(c->st.rv.control_socket);
	c->st.rv.vmm_path = strdup(f->vmm);
	c->st.rv.kernel_path = strdup(f->kernel);
	c->st.rv.initrd_path = strdup(f->initrd);
	if (asprintf(&c->st.rv.control_socket, "%s/%s", c->dir, CTL_SOCKET_NAME) < 0)
		c->st.rv.control_socket = NULL;
	if (!c->st.rv.vmm_path || !c->st.rv.kernel_path || !c->st.rv.initrd_path ||
	    !c->st.rv.control_socket)
		return rt_err_set(err, ENOMEM, "out of memory");
	return 0;
}
