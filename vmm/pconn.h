/* A message connection on the event loop: one stream socket speaking the agent
 * protocol's framing (common/proto.h), with a receive buffer and a bounded send
 * queue that drains on EPOLLOUT. The VMM uses it for the guest agent's control
 * connection and for each control-socket client. */
#ifndef RUNVM_VMM_PCONN_H
#define RUNVM_VMM_PCONN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/proto.h"
#include "vmm/ev.h"

struct pconn {
	int fd;                 /* owned; -1 when closed */
	struct ev_loop *loop;
	struct proto_rx rx;
	struct proto_buf tx;    /* messages encoded straight into it */
	size_t tx_off;          /* bytes of tx already sent */
	size_t tx_max;          /* pconn_room refuses beyond this much unsent */
	bool out_armed;         /* EPOLLOUT registered */
};

/* Takes fd (made non-blocking) and registers it for EPOLLIN with cb/arg. */
int pconn_init(struct pconn *c, struct ev_loop *loop, int fd, size_t tx_max, ev_cb cb,
	       void *arg);
/* Unregisters and closes; a zeroed or already finished pconn is fine. */
void pconn_fini(struct pconn *c);

/* Sends what the socket takes now and waits for EPOLLOUT for the rest.
 * 0, or -errno when the connection is broken. */
int pconn_flush(struct pconn *c);
/* Unsent bytes. */
size_t pconn_pending(const struct pconn *c);
/* Whether n more bytes fit under tx_max. */
bool pconn_room(const struct pconn *c, size_t n);

/* The next whole message, after reading what the socket has when none is
 * buffered: 1 and *h / *payload (valid until the next call), 0 when none is
 * complete (come back on EPOLLIN), -ESHUTDOWN at EOF, or another -errno
 * (framing errors included: the stream cannot be resynchronised). */
int pconn_next(struct pconn *c, struct proto_hdr *h, const uint8_t **payload);

/* For the callback: true when the event is the socket becoming writable. */
bool pconn_on_out(struct pconn *c, uint32_t events);

#endif
