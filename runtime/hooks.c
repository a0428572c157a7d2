/* Host hooks: fork, exec with the hook's args and env, feed the state on stdin,
 * wait with the timeout. The hook's stdout goes to our stderr: callers capture the
 * CLI's stdout and expect nothing there. */
#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/logging.h"

static void hook_child(const struct oci_hook *h, int in_fd)
{
	static char *const empty_env[] = { NULL };
	char *argv0[] = { h->path, NULL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(in_fd, 0) < 0 || dup2(2, 1) < 0)
		_exit(127);
	execve(h->path, h->args.n ? h->args.v : argv0, h->env.n ? h->env.v : empty_env);
	_exit(127);
}

/* A hook that does not read its stdin must not kill us with SIGPIPE. */
static int hook_feed(int fd, const char *data, size_t len)
{
	sigset_t pipe_set, old;
	struct timespec zero = { 0, 0 };
	int r;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	r = util_write_full(fd, data, len);
	if (r == -EPIPE) {
		sigtimedwait(&pipe_set, NULL, &zero);
		r = 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int hook_wait(pid_t pid, int timeout, int *wstatus)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	uint64_t deadline = util_now_ns() + (uint64_t)timeout * 1000000000ull;
	pid_t r;

	for (;;) {
		r = waitpid(pid, wstatus, timeout > 0 ? WNOHANG : 0);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (timeout > 0 && util_now_ns() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		if (r == 0)
			nanosleep(&tick, NULL);
	}
}

int rt_hook_run(const struct oci_hook *h, const char *stdin_data, size_t len, struct rt_err *err)
{
	int p[2], wstatus = 0, r;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return rt_err_sys(err, errno, "hook %s: pipe", h->path);
	pid = fork();
	if (pid < 0) {
		r = rt_err_sys(err, errno, "hook %s: fork", h->path);
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0)
		hook_child(h, p[0]);
	close(p[0]);
	r = hook_feed(p[1], stdin_data, len);
	close(p[1]);
	if (r < 0)
		rt_log_debug("hook %s: writing the state: %s", h->path, strerror(-r));
	r = hook_wait(pid, h->has_timeout ? h->timeout : 0, &wstatus);
	if (r == -ETIMEDOUT)
		return rt_err_set(err, ETIMEDOUT, "hook %s: timed out after %d s", h->path,
				  h->timeout);
	if (r < 0)
		return rt_err_sys(err, r, "hook %s: wait", h->path);
	if (WIFSIGNALED(wstatus))
		return rt_err_set(err, ECHILD, "hook %s: killed by signal %d", h->path,
				  WTERMSIG(wstatus));
	if (WEXITSTATUS(wstatus) == 127)
		return rt_err_set(err, ENOEXEC, "hook %s: cannot be executed (exit status 127)",
				  h->path);
	if (WEXITSTATUS(wstatus))
		return rt_err_set(err, ECHILD, "hook %s: exit status %d", h->path,
				  WEXITSTATUS(wstatus));
	return 0;
}

int rt_hooks_run(const struct oci_config *cfg, enum oci_hook_kind kind, const struct oci_state *st,
		 bool warn_only, struct rt_err *err)
{
	const struct oci_hook_list *l = &cfg->hooks[kind];
	autofree char *json = NULL;
	struct rt_err herr;
	size_t len;
	int r;

	if (!l->n)
		return 0;
	r = oci_state_to_json(st, OCI_STATE_VIEW_HOOK, NULL, &json, &len, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		rt_err_clear(&herr);
		rt_log_debug("running %s hook %s", oci_hook_kind_name(kind), l->v[i].path);
		r = rt_hook_run(&l->v[i], json, len, &herr);
		if (r == 0)
			continue;
		if (!warn_only) {
			if (err)
				*err = herr;
			return rt_err_prefix(err, "%s hook", oci_hook_kind_name(kind));
		}
		rt_log_warn("%s hook: %s", oci_hook_kind_name(kind), herr.msg);
	}
	return 0;
}
