/* Byte relays between the container's host-side stdio and the guest's stdio
 * streams, driven by the event loop: one direction each, a bounded buffer,
 * non-blocking on both ends, so one stalled reader never holds up another
 * stream or the loop. A socket end is never switched to O_NONBLOCK (recv and
 * send with MSG_DONTWAIT instead): its file description may be the caller's too
 * (--preserve-fds), whose flags are not ours to change.
 *
 * Ends that epoll cannot watch (regular files, /dev/null, /dev/zero) are
 * accepted: such a source is read on a self-kicking eventfd while the buffer has
 * room, such a destination is written in full at once (it never blocks for
 * long). When the source is at EOF and everything is written, the relay shuts
 * the destination's write side down if asked (a socket: the guest sees EOF), closes
 * both ends (a pipe's reader sees EOF) and calls on_done. */
#ifndef RUNVM_VMM_RELAY_H
#define RUNVM_VMM_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/ev.h"

#define RELAY_BUF 65536

#define RELAY_SHUT_DST (1u << 0) /* at the end: shutdown(dst, SHUT_WR) before close */
#define RELAY_TTY_SRC (1u << 1)  /* src is a tty: EIO (hangup) is its EOF */

struct relay;
typedef void (*relay_done_cb)(void *arg, struct relay *r);

struct relay {
	struct ev_loop *loop;
	int src, dst, kick;          /* owned; kick: eventfd for a src epoll cannot watch */
	bool src_poll, dst_poll;     /* epoll can watch them */
	bool src_sock, dst_sock;     /* sockets: MSG_DONTWAIT, flags left alone */
	unsigned flags;
	bool src_eof, done;
	int err;                     /* first error (-errno) on either end, or 0 */
	bool src_reg, dst_reg, kick_reg; /* registered in the loop */
	const char *name;            /* for log lines */
	relay_done_cb on_done;
	void *arg;
	size_t head, tail;
	uint8_t buf[RELAY_BUF];
};

/* Takes src and dst (pipes and ttys made non-blocking; see the top); the relay
 * starts moving at once. On failure both fds are closed. */
int relay_create(struct relay **out, struct ev_loop *loop, int src, int dst, unsigned flags,
		 const char *name, relay_done_cb on_done, void *arg);
/* Stops now, dropping what is buffered: closes both ends, no shutdown, no
 * on_done. NULL is fine. */
void relay_destroy(struct relay *r);

/* Whether fd can be registered in epoll (false for regular files, /dev/null...). */
bool relay_pollable(int fd);

#endif
