/* startContainer hooks (OCI runtime-spec): run by the container's init child at
 * START, after GO and before its process is exec'd, so they see the container's
 * root, namespaces, cgroup and credentials, as with runc. Each gets the OCI state
 * on stdin (status "created", pid this process's pid in its pid namespace) and
 * its own args and env; stdout and stderr are kept for the error message. A hook
 * that fails or outlives its timeout (it is killed) stops the start. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

#define GI_HOOK_OUT 256   /* bytes of a hook's output kept for the message */
#define GI_HOOK_TICK 50   /* ms between checks for the hook's exit */

struct gi_hook_run {
	const char *state;
	size_t len, off;      /* what has been written to the hook's stdin */
	int in, out;          /* our ends: its stdin, its stdout and stderr */
	char msg[GI_HOOK_OUT + 1];
	size_t msg_len;
};

/* "{...}" with "pid" inserted first; malloc'd. */
static char *gi_hook_state(const char *st, pid_t pid, size_t *len)
{
	size_t n = strlen(st) + 32;
	char *s = malloc(n);
	int w;

	if (!s)
		return NULL;
	w = snprintf(s, n, "{\"pid\":%d%s%s", (int)pid, st[1] == '}' ? "" : ",", st + 1);
	if (w < 0 || (size_t)w >= n) {
		free(s);
		return NULL;
	}
	*len = (size_t)w;
	return s;
}

static void gi_hook_exec(const struct proto_hook *h, int in, int out)
{
	const char *argv0[] = { h->path, NULL };
	char *const *argv = (char *const *)(h->args.n ? h->args.v : argv0);

	signal(SIGPIPE, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	execve(h->path, argv, (char *const *)h->env.v);
	dprintf(2, "exec %s: %s", h->path, strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Moves what it can between us and the hook, without blocking. */
static void gi_hook_io(struct gi_hook_run *r, int ms)
{
	struct pollfd p[2] = { { r->in, POLLOUT, 0 }, { r->out, POLLIN, 0 } };
	char buf[4096];
	ssize_t n = -1;

	if (poll(p, 2, ms) <= 0)
		return;
	if (r->in >= 0 && p[0].revents) {
		n = write(r->in, r->state + r->off, r->len - r->off);
		if (n > 0)
			r->off += (size_t)n;
		/* All written, or the hook does not read it (EPIPE): its EOF. */
		if ((n < 0 && errno != EAGAIN && errno != EINTR) || r->off == r->len) {
			close(r->in);
			r->in = -1;
		}
	}
	n = -1;
	while (r->out >= 0 && p[1].revents && (n = read(r->out, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				break;
			continue;
		}
		if (r->msg_len < GI_HOOK_OUT) {
			size_t k = MIN((size_t)n, GI_HOOK_OUT - r->msg_len);

			memcpy(r->msg + r->msg_len, buf, k);
			r->msg_len += k;
		}
	}
	if (r->out >= 0 && n == 0) {
		close(r->out);
		r->out = -1;
	}
}

/* Waits for the hook, feeding and draining it; 0 with *status, or -ETIMEDOUT
 * once it has been killed for its timeout. */
static int gi_hook_wait(struct gi_hook_run *r, pid_t pid, uint32_t timeout, int *status)
{
	uint64_t deadline = timeout ? util_now_ns() + (uint64_t)timeout * 1000000000ull : 0;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid) {
			gi_hook_io(r, 0); /* what it wrote last */
			return 0;
		}
		if (w < 0 && errno != EINTR)
			return -errno;
		if (deadline && util_now_ns() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			return -ETIMEDOUT;
		}
		gi_hook_io(r, GI_HOOK_TICK);
	}
}

/* The message's tail: the hook's output on one line. */
static const char *gi_hook_output(struct gi_hook_run *r)
{
	r->msg[r->msg_len] = 0;
	for (size_t i = 0; i < r->msg_len; i++)
		if (r->msg[i] == '\n' || r->msg[i] == '\r' || r->msg[i] == 0)
			r->msg[i] = ' ';
	while (r->msg_len && r->msg[r->msg_len - 1] == ' ')
		r->msg[--r->msg_len] = 0;
	return r->msg;
}

static int gi_hook_run(const struct proto_hook *h, uint32_t i, const char *state, size_t len,
		       struct gi_err *e)
{
	struct gi_hook_run r = { .state = state, .len = len, .in = -1, .out = -1 };
	int in[2], out[2], status = 0, ret;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC))
		return gi_failerr(e, -errno, "startContainer hook #%u (%s): pipe", i, h->path);
	if (pipe2(out, O_CLOEXEC)) {
		ret = -errno;
		close(in[0]);
		close(in[1]);
		return gi_failerr(e, ret, "startContainer hook #%u (%s): pipe", i, h->path);
	}
	pid = fork();
	if (pid == 0)
		gi_hook_exec(h, in[0], out[1]);
	ret = pid < 0 ? -errno : 0;
	close(in[0]);
	close(out[1]);
	r.in = in[1];
	r.out = out[0];
	fcntl(r.in, F_SETFL, O_NONBLOCK);
	fcntl(r.out, F_SETFL, O_NONBLOCK);
	if (!ret)
		ret = gi_hook_wait(&r, pid, h->timeout, &status);
	if (r.in >= 0)
		close(r.in);
	if (r.out >= 0)
		close(r.out);
	if (ret == -ETIMEDOUT)
		return gi_fail(e, ret, "startContainer hook #%u (%s): timed out after %u s (killed)",
			       i, h->path, h->timeout);
	if (ret)
		return gi_failerr(e, ret, "startContainer hook #%u (%s)", i, h->path);
	if (WIFSIGNALED(status))
		return gi_fail(e, -EIO, "startContainer hook #%u (%s): killed by signal %d: %s", i,
			       h->path, WTERMSIG(status), gi_hook_output(&r));
	if (WEXITSTATUS(status))
		return gi_fail(e, -EIO, "startContainer hook #%u (%s): exit status %d: %s", i,
			       h->path, WEXITSTATUS(status), gi_hook_output(&r));
	return 0;
}

int gi_hooks_run(const struct proto_spec *s, struct gi_err *e)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	size_t len = 0;
	char *state;
	int ret = 0;

	if (!s->n_hooks)
		return 0;
	state = gi_hook_state(s->hook_state, getpid(), &len);
	if (!state)
		return gi_fail(e, -ENOMEM, "startContainer hooks: state");
	/* A hook that does not read its stdin must not kill the container. */
	sigaction(SIGPIPE, &ign, &old);
	for (uint32_t i = 0; !ret && i < s->n_hooks; i++)
		ret = gi_hook_run(&s->hooks[i], i, state, len, e);
	sigaction(SIGPIPE, &old, NULL);
	free(state);
	return ret;
}
