/* One direction of a process's stdio between a pipe or pty and its host stream.
 * Non-blocking and level-triggered: the source is watched only while the buffer
 * has room, the destination only while the buffer has data, so a slow reader
 * stalls its own process and nothing else. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-init/gi.h"

/* Rounds of read+write per wakeup, so that one busy stream cannot starve the
 * others or the control connection. */
#define GI_RELAY_ROUNDS 8

/* An fd is in the epoll set only while it is wanted: epoll reports HUP and ERR
 * even for an empty interest set, which would spin on a full buffer. */
static void gi_relay_watch(struct gi_relay *r, int fd, struct gi_watch *w, uint32_t *cur,
			   uint32_t want)
{
	struct epoll_event ev = { .events = want, .data.ptr = w };

	if (fd < 0 || *cur == want)
		return;
	if (!want)
		epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
	else
		epoll_ctl(r->ep, *cur ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	*cur = want;
}

int gi_relay_create(struct gi_relay **out, int ep, int src, int dst, void *owner)
{
	struct gi_relay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->src = src;
	r->dst = dst;
	r->ep = ep;
	r->owner = owner;
	r->wsrc = (struct gi_watch){ GI_W_RELAY_SRC, r };
	r->wdst = (struct gi_watch){ GI_W_RELAY_DST, r };
	*out = r;
	return 0;
}

static void gi_relay_close(struct gi_relay *r, bool flushed)
{
	gi_relay_watch(r, r->src, &r->wsrc, &r->src_ev, 0);
	gi_relay_watch(r, r->dst, &r->wdst, &r->dst_ev, 0);
	if (r->src >= 0) {
		close(r->src);
		r->src = -1;
	}
	if (r->dst >= 0) {
		/* The fd may be one of two dups of a socket: shutdown is what the host
		 * sees as EOF, whatever else holds it. */
		if (flushed)
			shutdown(r->dst, SHUT_WR);
		close(r->dst);
		r->dst = -1;
	}
	r->src_eof = true;
	r->head = r->tail = 0;
	r->done = true;
}

/* One read into the buffer; false when nothing more can come now. */
static bool gi_relay_read(struct gi_relay *r)
{
	ssize_t n = read(r->src, r->buf + r->tail, sizeof(r->buf) - r->tail);

	if (n > 0) {
		r->tail += (size_t)n;
		return true;
	}
	if (n < 0 && errno == EINTR)
		return true;
	/* A pty master says EIO once every slave fd is closed; its data may still
	 * be on its way through the line discipline when the process is reaped, so
	 * only EIO (or the agent's deadline) ends it. A pipe is empty for good once
	 * the process is gone and read says EAGAIN. */
	if (n < 0 && errno == EAGAIN && !(r->drain && !r->pty))
		return false;
	r->src_eof = true;
	return false;
}

void gi_relay_pump(struct gi_relay *r)
{
	for (int round = 0; !r->done && round < GI_RELAY_ROUNDS; round++) {
		bool moved = false;

		if (r->head < r->tail) {
			ssize_t n = write(r->dst, r->buf + r->head, r->tail - r->head);

			if (n > 0) {
				r->head += (size_t)n;
				moved = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				/* The reader is gone (EPIPE): nothing can be delivered. */
				gi_relay_close(r, false);
				return;
			}
		}
		if (r->head == r->tail)
			r->head = r->tail = 0;
		if (!r->src_eof && r->tail < sizeof(r->buf))
			moved |= gi_relay_read(r);
		if (!moved)
			break;
	}
	if (r->done)
		return;
	if (r->src_eof && r->head == r->tail) {
		gi_relay_close(r, true);
		return;
	}
	gi_relay_watch(r, r->src, &r->wsrc, &r->src_ev,
		       !r->src_eof && r->tail < sizeof(r->buf) ? EPOLLIN : 0);
	gi_relay_watch(r, r->dst, &r->wdst, &r->dst_ev, r->head < r->tail ? EPOLLOUT : 0);
}

void gi_relay_end(struct gi_relay *r)
{
	if (r && !r->done)
		gi_relay_close(r, true);
}

void gi_relay_destroy(struct gi_relay *r)
{
	if (!r)
		return;
	gi_relay_close(r, false);
	free(r);
}
