/* runvm-vmm --container: the init's extra fds (--preserve-fds; see container.h).
 * The runtime has already refused what cannot be relayed and said which way
 * each fd goes; here each gets a port, a listener, and its relays once the
 * guest connects. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ctl.h"
#include "common/log.h"
#include "vmm/container.h"

void ctr_extras_init(struct ctr_extras *x, const struct ctr_config *cfg)
{
	memset(x, 0, sizeof(*x));
	for (unsigned i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		x->v[i].fd = x->v[i].port.lfd = -1;
		snprintf(x->v[i].name, sizeof(x->v[i].name), "fd %u", 3 + i);
	}
	x->n = cfg->n_extra;
	for (unsigned i = 0; i < x->n; i++)
		x->v[i].fd = cfg->extra_first + (int)i;
}

int ctr_extras_setup(struct ctr_extras *x, struct proto_process *pr, struct ev_loop *loop,
		     const char *uds, ev_cb on_accept, void *arg, unsigned *outs)
{
	int ret = 0;

	if (pr->n_extra != x->n) {
		log_error("--extra-fds gives %u fds, the spec's process has %u", x->n, pr->n_extra);
		return -EINVAL;
	}
	for (unsigned i = 0; i < x->n && !ret; i++) {
		struct ctr_extra *e = &x->v[i];

		e->dir = pr->extra[i].dir;
		pr->extra[i].port = 0;
		if (ctr_is_devnull(e->fd)) {
			close(e->fd);
			e->fd = -1;
			continue;
		}
		/* A pipe or tty in a description of our own, so that O_NONBLOCK does
		 * not reach the caller's; a socket is used as it is (the relay never
		 * changes a socket's flags). */
		if (e->dir != PROTO_EXTRA_BOTH)
			e->fd = ctr_own_fd(e->fd, e->dir == PROTO_EXTRA_IN ? O_RDONLY : O_WRONLY);
		pr->extra[i].port = CTL_EXTRA_PORT + i;
		*outs += e->dir != PROTO_EXTRA_IN;
		ret = ctr_port_listen(&e->port, loop, uds, pr->extra[i].port, on_accept, arg);
	}
	return ret;
}

/* BOTH: two relays over dups of both ends, each with its own registration;
 * each shuts its destination's write half down when its source ends. */
static int ctr_extra_both(struct ctr_extra *e, struct ev_loop *loop, int sock, bool no_input,
			  relay_done_cb out_done, void *arg)
{
	int sock2 = fcntl(sock, F_DUPFD_CLOEXEC, 3), host2 = -1, ret;

	if (sock2 < 0 || (!no_input && (host2 = fcntl(e->fd, F_DUPFD_CLOEXEC, 3)) < 0)) {
		ret = -errno;
		close(sock);
		if (sock2 >= 0)
			close(sock2);
		return ret;
	}
	ret = relay_create(&e->out, loop, sock2, e->fd, RELAY_SHUT_DST, e->name, out_done, arg);
	e->fd = -1;
	if (ret) {
		close(sock);
		if (host2 >= 0)
			close(host2);
		return ret;
	}
	if (no_input) {
		close(sock);
		return 0;
	}
	return relay_create(&e->in, loop, host2, sock, RELAY_SHUT_DST, e->name, NULL, NULL);
}

int ctr_extras_accept(struct ctr_extras *x, struct ev_loop *loop, int lfd, bool no_input,
		      relay_done_cb out_done, void *arg)
{
	struct ctr_extra *e = NULL;
	int sock, ret;

	for (unsigned i = 0; i < x->n && !e; i++)
		if (x->v[i].port.lfd == lfd)
			e = &x->v[i];
	if (!e)
		return -ENOENT;
	sock = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (sock < 0)
		return 0; /* nothing there after all; the listener stays */
	/* One connection per fd: nobody else may take its place. */
	ctr_port_close(&e->port, loop);
	if (e->dir == PROTO_EXTRA_BOTH)
		return ctr_extra_both(e, loop, sock, no_input, out_done, arg);
	if (e->dir == PROTO_EXTRA_OUT)
		ret = relay_create(&e->out, loop, sock, e->fd, 0, e->name, out_done, arg);
	else if (!no_input)
		ret = relay_create(&e->in, loop, e->fd, sock, RELAY_SHUT_DST, e->name, NULL, NULL);
	else {
		close(sock);
		close(e->fd);
		ret = 0;
	}
	e->fd = -1;
	return ret;
}

void ctr_extras_stop_input(struct ctr_extras *x)
{
	for (unsigned i = 0; i < x->n; i++) {
		relay_destroy(x->v[i].in);
		x->v[i].in = NULL;
	}
}

void ctr_extras_fini(struct ctr_extras *x, struct ev_loop *loop)
{
	for (unsigned i = 0; i < PROTO_MAX_EXTRA_FDS; i++) {
		struct ctr_extra *e = &x->v[i];

		relay_destroy(e->in);
		relay_destroy(e->out);
		e->in = e->out = NULL;
		ctr_port_close(&e->port, loop);
		if (e->fd >= 0)
			close(e->fd);
		e->fd = -1;
	}
}
