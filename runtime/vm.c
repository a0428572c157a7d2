/* The VM plug points (see vm.h): launch and destroy, the requests that go through
 * the control socket, signals, the foreground wait, and exec through a proxy. */
#include "runtime/vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/staging.h"
#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/console.h"
#include "runtime/ctl.h"
#include "runtime/exec_proxy.h"
#include "runtime/launch.h"
#include "runtime/logging.h"
#include "runtime/spec2proto.h"
#include "runtime/vmconf.h"

/* A network namespace given by path: taps wired into it, for the VMM. */
static int vm_attach_net(struct rt_container *c, const struct oci_config *cfg, struct rt_net *net,
			 struct rt_err *err)
{
	const char *path = rt_net_path(cfg);
	int r;

	if (!path)
		return 0;
	r = rt_net_attach(c->dirfd, path, net, err);
	if (r == 0)
		rt_log_debug("network namespace %s: %u interface(s), %u route(s)", path, net->n,
			     net->n_routes);
	return r;
}

int rt_vm_launch(const struct rt_globals *g, struct rt_container *c, const struct oci_config *cfg,
		 const char *rootfs, const struct rt_create_opts *o, struct rt_err *err)
{
	struct rt_net *net;
	struct rt_vm_files f;
	char cg[PATH_MAX];
	unsigned cpus;
	uint64_t mem;
	int r;

	if (rt_vm_files(cfg, &f, err) < 0 || rt_vm_size(cfg, &cpus, &mem, err) < 0)
		return -EINVAL;
	r = rt_cgroup_dir(RT_CGROUP_ROOT, g->cgroup_manager, cfg->lnx.cgroups_path, cg, sizeof(cg),
			  err);
	if (r < 0)
		return r;
	if (cg[0]) {
		/* Recorded first, so that a failure from here on removes it. */
		c->st.rv.cgroup_dir = strdup(cg);
		if (!c->st.rv.cgroup_dir)
			return rt_err_set(err, ENOMEM, "out of memory");
		r = rt_container_save(c, err);
		if (r == 0)
			r = rt_cgroup_create(cg, &cfg->lnx.resources, err);
		if (r < 0)
			return r;
	}
	net = malloc(sizeof(*net));
	if (!net)
		return rt_err_set(err, ENOMEM, "out of memory");
	rt_net_init(net);
	r = vm_attach_net(c, cfg, net, err);
	if (r == 0)
		r = rt_launch_prepare(c, cfg, rootfs, net, o, err);
	if (r == 0)
		r = rt_launch_vmm(g, c, cfg, &f, cpus, mem, net, o, !o->detach, err);
	/* The VMM has the taps now (or, after a failure, nobody needs them). */
	rt_net_fini(net);
	free(net);
	return r;
}

/* As runc, which waits for a startContainer hook without a timeout for ever. */
static int vm_start_timeout_ms(const struct oci_config *cfg)
{
	const struct oci_hook_list *l = cfg ? &cfg->hooks[OCI_HOOK_START_CONTAINER] : NULL;
	long long ms = RT_CTL_TIMEOUT_MS;

	for (size_t i = 0; l && i < l->n; i++) {
		if (!l->v[i].has_timeout)
			return -1;
		ms += (long long)l->v[i].timeout * 1000;
	}
	return ms > INT_MAX ? -1 : (int)ms;
}

int rt_vm_start(const struct rt_globals *g, struct rt_container *c, const struct oci_config *cfg,
		struct rt_err *err)
{
	struct agent_conn conn;
	struct proto_result res;
	int r;

	r = rt_ctl_open(c->dir, &conn, err);
	if (r < 0)
		return r;
	conn.timeout_ms = vm_start_timeout_ms(cfg);
	r = rt_ctl_call(&conn, PROTO_START, &res, err);
	agent_close(&conn);
	return r;
}

int rt_vm_kill(const struct rt_globals *g, struct rt_container *c, int sig, bool all,
	       struct rt_err *err)
{
	struct agent_conn conn;
	struct proto_result res;
	int r;

	/* SIGKILL cannot be forwarded, and needs no guest: the VM dies with the
	 * VMM, which then ends like a process killed by SIGKILL. Other signals the
	 * VMM forwards to the container process (queued while paused). */
	if (!all || sig == SIGKILL) {
		if (kill(c->st.pid, sig) < 0)
			return errno == ESRCH ? rt_err_set(err, ESRCH, "container not running")
					      : rt_err_sys(err, errno, "kill %d", c->st.pid);
		return 0;
	}
	r = rt_ctl_open(c->dir, &conn, err);
	if (r < 0)
		return r;
	r = agent_signal(&conn, PROTO_INIT_PROC, sig, PROTO_SIGNAL_ALL, &res);
	agent_close(&conn);
	if (r < 0)
		return rt_err_sys(err, r, "signal the container's processes");
	if (res.err < 0)
		return rt_err_set(err, -res.err, "%s", res.msg[0] ? res.msg : strerror(-res.err));
	return 0;
}

int rt_vm_pause(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	return rt_ctl_request(c->dir, CTL_PAUSE, err);
}

int rt_vm_resume(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	return rt_ctl_request(c->dir, CTL_RESUME, err);
}

/* Foreground run: signals to us go to the VMM, which passes them on. */
static volatile pid_t vm_fwd_pid;

static void vm_forward(int sig)
{
	if (vm_fwd_pid > 0)
		kill(vm_fwd_pid, sig);
}

static void vm_forward_signals(pid_t pid, bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	struct sigaction sa = { .sa_handler = on ? vm_forward : SIG_DFL };

	vm_fwd_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

int rt_vm_wait(const struct rt_globals *g, struct rt_container *c, int *status, struct rt_err *err)
{
	pid_t pid = c->st.pid, r;
	int ws;

	vm_forward_signals(pid, true);
	do
		r = waitpid(pid, &ws, 0);
	while (r < 0 && errno == EINTR);
	vm_forward_signals(0, false);
	rt_launch_restore_tty();
	if (r < 0)
		return rt_err_sys(err, errno, "wait for the VMM %d", (int)pid);
	*status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	return 0;
}

static bool vm_exec_reg(const char *name, pid_t *pid)
{
	char *end;
	long v;

	if (strncmp(name, RT_EXEC_REG_PREFIX, strlen(RT_EXEC_REG_PREFIX)))
		return false;
	v = strtol(name + strlen(RT_EXEC_REG_PREFIX), &end, 10);
	if (*end || v <= 0)
		return false;
	*pid = (pid_t)v;
	return true;
}

/* The exec proxies that are still alive (the start time in the file tells a
 * reused PID). */
static size_t vm_exec_pids(const struct rt_container *c, pid_t *pids, size_t max)
{
	int dfd = openat(c->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return 0;
	}
	while ((de = readdir(d)) && n < max) {
		char buf[32] = { 0 };
		pid_t pid;
		int fd;

		if (!vm_exec_reg(de->d_name, &pid))
			continue;
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (util_read_full(fd, buf, sizeof(buf) - 1) > 0 &&
		    rt_pid_alive(pid, strtoull(buf, NULL, 10)))
			pids[n++] = pid;
		close(fd);
	}
	closedir(d);
	return n;
}

int rt_vm_pids(const struct rt_globals *g, struct rt_container *c, pid_t **pids, size_t *n,
	       struct rt_err *err)
{
	size_t max = 1024;

	*n = 0;
	*pids = calloc(max + 1, sizeof(**pids));
	if (!*pids)
		return rt_err_set(err, ENOMEM, "out of memory");
	if (c->st.pid <= 0 || c->st.status == OCI_STATUS_STOPPED)
		return 0;
	(*pids)[(*n)++] = c->st.pid;
	*n += vm_exec_pids(c, *pids + 1, max);
	return 0;
}

int rt_vm_destroy(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t pid = c->st.pid;
	int r;

	rt_launch_restore_tty();
	if (rt_pid_alive(pid, c->st.rv.vmm_start_time)) {
		if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
			return rt_err_sys(err, errno, "kill VMM %d", (int)pid);
		/* Not our child after create (the shim reaps it): wait until it is gone
		 * or a zombie. */
		for (int i = 0; i < 1000 && rt_pid_alive(pid, c->st.rv.vmm_start_time); i++)
			nanosleep(&ts, NULL);
		if (rt_pid_alive(pid, c->st.rv.vmm_start_time))
			return rt_err_set(err, ETIMEDOUT, "VMM %d did not exit after SIGKILL",
					  (int)pid);
	}
	/* What is left in the cgroup (exec proxies, a virtiofsd) goes with it. */
	r = rt_cgroup_destroy(c->st.rv.cgroup_dir, err);
	if (r < 0)
		return r;
	/* The taps went with the VMM; the namespace's qdiscs are ours to remove. */
	r = rt_net_detach(c->dirfd, err);
	if (r < 0)
		return r;
	r = staging_remove(c->dir);
	if (r < 0)
		return rt_err_sys(err, r, "unmount the VM's share %s/%s", c->dir, STAGING_SUBDIR);
	return 0;
}

/* ---- exec ------------------------------------------------------------------------ */

struct vm_exec {
	struct rt_xproxy x;
	struct rt_pty pty;
	struct termios saved;
	bool restore_tty;
};

static int vm_exec_terminal(struct vm_exec *v, const struct oci_process *p,
			    const struct rt_exec_opts *o, struct rt_err *err)
{
	if (!p->terminal)
		return 0;
	if (o->console_socket) {
		if (rt_pty_open(&v->pty, (uint16_t)p->console_height, (uint16_t)p->console_width,
				err) < 0)
			return -EIO;
		v->x.tty_in = v->x.tty_out = v->pty.slave;
		return 0;
	}
	if (!isatty(STDIN_FILENO))
		return rt_err_set(err, EINVAL, "exec -t needs --console-socket, or a terminal on stdin");
	if (o->detach)
		return rt_err_set(err, EINVAL,
				  "cannot allocate tty if runvm will detach without setting console "
				  "socket");
	v->restore_tty = rt_tty_raw(STDIN_FILENO, &v->saved) == 0;
	v->x.tty_in = STDIN_FILENO;
	v->x.tty_out = STDOUT_FILENO;
	return 0;
}

static int vm_pid_file(const char *path, pid_t pid, struct rt_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	if (!path)
		return 0;
	if (oci_file_write_atomic(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return rt_err_prefix(err, "pid file");
	return 0;
}

/* The detached proxy: tells the parent "ok" or "error: MSG" on the pipe. */
__attribute__((noreturn)) static void vm_exec_child(struct vm_exec *v, int ready)
{
	struct proto_exit ex;
	struct rt_err err = { 0 };
	char msg[RT_ERR_MSG_MAX + 16];
	int n;

	setsid();
	/* The pty is our controlling terminal: resizing its master sends SIGWINCH. */
	if (v->pty.slave >= 0)
		ioctl(v->pty.slave, TIOCSCTTY, 0);
	if (rt_xproxy_start(&v->x, &err) < 0) {
		n = snprintf(msg, sizeof(msg), "error: %s\n", err.msg);
		(void)!util_write_full(ready, msg, (size_t)MIN(n, (int)sizeof(msg) - 1));
		rt_xproxy_fini(&v->x);
		_exit(1);
	}
	(void)!util_write_full(ready, "ok\n", 3);
	close(ready);
	rt_xproxy_relay(&v->x, &ex);
	rt_xproxy_fini(&v->x);
	rt_exit_like(&ex);
}

static int vm_exec_detached(struct vm_exec *v, const struct rt_exec_opts *o, struct rt_err *err)
{
	char buf[RT_ERR_MSG_MAX + 16];
	int pp[2], r = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(pp, O_CLOEXEC) < 0)
		return rt_err_sys(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pp[0]);
		close(pp[1]);
		return rt_err_sys(err, errno, "fork");
	}
	if (pid == 0) {
		close(pp[0]);
		if (v->pty.master >= 0)
			close(v->pty.master);
		vm_exec_child(v, pp[1]);
	}
	close(pp[1]);
	n = util_read_full(pp[0], buf, sizeof(buf) - 1);
	close(pp[0]);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok")) {
		waitpid(pid, NULL, 0);
		if (!strncmp(buf, "error: ", 7))
			return rt_err_set(err, EINVAL, "%s", buf + 7);
		return rt_err_set(err, EIO, "the exec proxy died before the process started");
	}
	if (v->pty.master >= 0)
		r = rt_console_send(o->console_socket, v->pty.master, v->pty.name, err);
	if (r == 0)
		r = vm_pid_file(o->pid_file, pid, err);
	if (r < 0)
		kill(pid, SIGKILL);
	return r;
}

static int vm_exec_foreground(struct vm_exec *v, const struct rt_exec_opts *o, int *status,
			      struct rt_err *err)
{
	struct proto_exit ex;
	int r;

	r = vm_pid_file(o->pid_file, getpid(), err);
	if (r == 0)
		r = rt_xproxy_start(&v->x, err);
	if (r == 0 && v->pty.master >= 0)
		r = rt_console_send(o->console_socket, v->pty.master, v->pty.name, err);
	if (r < 0)
		return r;
	rt_xproxy_relay(&v->x, &ex);
	*status = proto_exit_status(&ex);
	return 0;
}

int rt_vm_exec(const struct rt_globals *g, struct rt_container *c, const struct oci_process *p,
	       const struct rt_exec_opts *o, int *status, struct rt_err *err)
{
	struct vm_exec v;
	int r;

	memset(&v, 0, sizeof(v));
	v.pty.master = v.pty.slave = -1;
	rt_xproxy_init(&v.x, c->dir, c->st.rv.cgroup_dir);
	r = rt_process_build(p, &v.x.e.arena, &v.x.e.process, err);
	if (r == 0)
		r = vm_exec_terminal(&v, p, o, err);
	if (r == 0)
		r = o->detach ? vm_exec_detached(&v, o, err)
			      : vm_exec_foreground(&v, o, status, err);
	if (v.restore_tty)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &v.saved);
	rt_pty_close(&v.pty);
	rt_xproxy_fini(&v.x);
	proto_exec_free(&v.x.e);
	return r;
}
