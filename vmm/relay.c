/* Byte relays on the event loop (see relay.h). */
#include "vmm/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/* Rounds of read+write per wake-up: other fds get their turn after this. */
#define RELAY_ROUNDS 16

static void relay_pump(struct relay *r);

bool relay_pollable(int fd)
{
	struct epoll_event e = { .events = 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool ok;

	if (ep < 0)
		return true; /* assume the common case; the relay copes with EPERM later */
	ok = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) == 0 || errno != EPERM;
	close(ep);
	return ok;
}

static void relay_on_fd(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	relay_pump(arg);
}

static void relay_on_kick(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	relay_pump(arg);
}

/* Registers or unregisters fd to match want; *reg tracks it. */
static void relay_watch(struct relay *r, int fd, bool *reg, bool want, uint32_t ev, ev_cb cb)
{
	if (want == *reg || fd < 0)
		return;
	if (want) {
		int ret = ev_add(r->loop, fd, ev, cb, r);

		if (ret)
			log_warn("%s: cannot watch fd %d: %s", r->name, fd, strerror(-ret));
		*reg = !ret;
	} else {
		ev_del(r->loop, fd);
		*reg = false;
	}
}

static void relay_close_all(struct relay *r)
{
	relay_watch(r, r->src, &r->src_reg, false, 0, NULL);
	relay_watch(r, r->dst, &r->dst_reg, false, 0, NULL);
	relay_watch(r, r->kick, &r->kick_reg, false, 0, NULL);
	if (r->src >= 0)
		close(r->src);
	if (r->dst >= 0)
		close(r->dst);
	if (r->kick >= 0)
		close(r->kick);
	r->src = r->dst = r->kick = -1;
}

static void relay_finish(struct relay *r, bool dst_ok)
{
	r->done = true;
	if (dst_ok && (r->flags & RELAY_SHUT_DST))
		shutdown(r->dst, SHUT_WR);
	relay_close_all(r);
	if (r->err)
		log_debug("%s: ended: %s", r->name, strerror(-r->err));
	if (r->on_done)
		r->on_done(r->arg, r);
}

/* Bytes written (> 0), 0 when dst takes nothing now, -errno when it is broken. */
static ssize_t relay_write(struct relay *r)
{
	ssize_t total = 0;

	while (r->head < r->tail) {
		size_t len = r->tail - r->head;
		ssize_t n = r->dst_sock ? send(r->dst, r->buf + r->head, len,
					       MSG_DONTWAIT | MSG_NOSIGNAL)
					: write(r->dst, r->buf + r->head, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		r->head += (size_t)n;
		total += n;
		/* A watched dst gets one write per round; one epoll cannot watch is
		 * written in full (a file or /dev/null: it does not block for long). */
		if (r->dst_poll)
			break;
	}
	return total;
}

/* true when something happened (bytes or EOF). */
static bool relay_read(struct relay *r)
{
	ssize_t n;

	do
		n = r->src_sock ? recv(r->src, r->buf + r->tail, RELAY_BUF - r->tail, MSG_DONTWAIT)
				: read(r->src, r->buf + r->tail, RELAY_BUF - r->tail);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		r->tail += (size_t)n;
		return true;
	}
	if (n < 0 && errno == EAGAIN)
		return false;
	if (n < 0 && !(errno == EIO && (r->flags & RELAY_TTY_SRC)) && !r->err)
		r->err = -errno;
	r->src_eof = true;
	return true;
}

static void relay_update(struct relay *r)
{
	bool want_src = !r->src_eof && r->tail < RELAY_BUF;
	bool want_dst = r->head < r->tail;

	relay_watch(r, r->src, &r->src_reg, want_src && r->src_poll, EPOLLIN, relay_on_fd);
	relay_watch(r, r->dst, &r->dst_reg, want_dst && r->dst_poll, EPOLLOUT, relay_on_fd);
	if (r->kick >= 0 && ((want_src && !r->src_poll) || (want_dst && !r->dst_poll))) {
		uint64_t one = 1;

		relay_watch(r, r->kick, &r->kick_reg, true, EPOLLIN, relay_on_kick);
		(void)!write(r->kick, &one, sizeof(one));
	}
}

static void relay_pump(struct relay *r)
{
	for (int i = 0; i < RELAY_ROUNDS && !r->done; i++) {
		bool moved = false;

		if (r->head < r->tail) {
			ssize_t n = relay_write(r);

			if (n < 0) {
				if (!r->err)
					r->err = (int)n;
				relay_finish(r, false);
				return;
			}
			moved = n > 0;
		}
		if (r->head == r->tail)
			r->head = r->tail = 0;
		if (r->src_eof) {
			if (r->head == r->tail) {
				relay_finish(r, true);
				return;
			}
		} else if (r->tail < RELAY_BUF && relay_read(r)) {
			moved = true;
		}
		if (!moved)
			break;
	}
	/* EOF may have come in the last round: nothing would wake us for it. */
	if (!r->done && r->src_eof && r->head == r->tail) {
		relay_finish(r, true);
		return;
	}
	if (!r->done)
		relay_update(r);
}

static bool relay_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static int relay_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

int relay_create(struct relay **out, struct ev_loop *loop, int src, int dst, unsigned flags,
		 const char *name, relay_done_cb on_done, void *arg)
{
	struct relay *r = calloc(1, sizeof(*r));
	int ret = 0;

	if (!r) {
		close(src);
		close(dst);
		return -ENOMEM;
	}
	*r = (struct relay){ .loop = loop, .src = src, .dst = dst, .kick = -1, .flags = flags,
			     .name = name, .on_done = on_done, .arg = arg };
	r->src_poll = relay_pollable(src);
	r->dst_poll = relay_pollable(dst);
	r->src_sock = relay_is_socket(src);
	r->dst_sock = relay_is_socket(dst);
	if (r->src_poll && !r->src_sock)
		ret = relay_nonblock(src);
	if (!ret && r->dst_poll && !r->dst_sock)
		ret = relay_nonblock(dst);
	if (!ret && (!r->src_poll || !r->dst_poll)) {
		r->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (r->kick < 0)
			ret = -errno;
	}
	if (ret) {
		relay_close_all(r);
		free(r);
		return ret;
	}
	*out = r;
	relay_pump(r);
	return 0;
}

void relay_destroy(struct relay *r)
{
	if (!r)
		return;
	relay_close_all(r);
	free(r);
}
