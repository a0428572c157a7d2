/* virtio-vsock connections: the table keyed by (host port, guest port), their life
 * cycle, the guest side of the state machine (what each guest packet does to a
 * connection) and the choice of what goes into the next rx buffer.
 *
 * A connection that must be torn down with an RST is freed at once and leaves
 * only a small "orphan" entry behind for the RST, so no half-dead connection ever
 * holds a socket or a buffer. Everything the guest is owed lives in per-connection
 * flags plus that bounded orphan ring: nothing here allocates while a queue is
 * processed, except a connection's own state when the guest opens one. */
#include "vmm/virtio/vsock_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

/* Edge-triggered: we read until EAGAIN anyway, and it saves an epoll_ctl every time
 * a connection runs out of credit or rx buffers. */
#define VSOCK_SOCK_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

static unsigned vsock_hash(uint32_t host_port, uint32_t guest_port)
{
	uint32_t k = host_port * 0x9e3779b1u ^ guest_port;

	k ^= k >> 15;
	k *= 0x85ebca6bu;
	k ^= k >> 13;
	return k & (VSOCK_HASH_SIZE - 1);
}

void vsock_ctx_init(struct vsock_ctx *x, struct ev_loop *loop, ev_cb sock_cb,
		    const char *uds_path, uint64_t guest_cid)
{
	memset(x, 0, sizeof(*x));
	x->loop = loop;
	x->sock_cb = sock_cb;
	x->uds_path = uds_path;
	x->guest_cid = guest_cid;
	x->next_port = VSOCK_FIRST_HOST_PORT;
}

struct vsock_conn *vsock_ctx_lookup(const struct vsock_ctx *x, uint32_t host_port,
				    uint32_t guest_port)
{
	struct vsock_conn *c = x->hash[vsock_hash(host_port, guest_port)];

	while (c && (c->host_port != host_port || c->guest_port != guest_port))
		c = c->hnext;
	return c;
}

static int vsock_hash_add(struct vsock_conn *c)
{
	struct vsock_ctx *x = c->ctx;
	unsigned b = vsock_hash(c->host_port, c->guest_port);

	if (vsock_ctx_lookup(x, c->host_port, c->guest_port))
		return -EEXIST;
	c->hnext = x->hash[b];
	x->hash[b] = c;
	c->hashed = true;
	return 0;
}

static void vsock_hash_del(struct vsock_conn *c)
{
	struct vsock_conn **p = &c->ctx->hash[vsock_hash(c->host_port, c->guest_port)];

	while (*p && *p != c)
		p = &(*p)->hnext;
	if (*p)
		*p = c->hnext;
	c->hashed = false;
}

static void vsock_ready_del(struct vsock_conn *c)
{
	struct vsock_ctx *x = c->ctx;

	if (!c->on_ready)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		x->ready_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		x->ready_tail = c->rprev;
	c->rprev = c->rnext = NULL;
	c->on_ready = false;
}

static void vsock_ready_add(struct vsock_conn *c)
{
	struct vsock_ctx *x = c->ctx;

	c->rprev = x->ready_tail;
	c->rnext = NULL;
	if (x->ready_tail)
		x->ready_tail->rnext = c;
	else
		x->ready_head = c;
	x->ready_tail = c;
	c->on_ready = true;
}

static uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	return vsock_credit(c->peer_buf_alloc, c->peer_fwd_cnt, c->tx_cnt);
}

/* Socket data could go to the guest, if it is not out of credit. */
static bool vsock_conn_may_read(const struct vsock_conn *c)
{
	return c->state == VSOCK_ST_ESTABLISHED && c->fd >= 0 && c->readable && !c->rd_eof &&
	       !(c->guest_shut & VSOCK_SHUT_RCV);
}

bool vsock_conn_want_read(const struct vsock_conn *c)
{
	return vsock_conn_may_read(c) && vsock_peer_credit(c) > 0;
}

void vsock_conn_kick(struct vsock_conn *c)
{
	/* Out of credit with data waiting: ask once, in case the guest's own updates
	 * were lost on the way or it waits to be asked. */
	if (vsock_conn_may_read(c) && vsock_peer_credit(c) == 0 && !c->credit_req_sent) {
		c->owed |= VSOCK_OWE_CREDIT_REQUEST;
		c->credit_req_sent = true;
	}
	if (!c->on_ready && (c->owed || vsock_conn_want_read(c)))
		vsock_ready_add(c);
}

void vsock_conn_set_deadline(struct vsock_conn *c, uint64_t when_ns)
{
	if (!c->deadline_ns && when_ns)
		c->ctx->nr_deadlines++;
	else if (c->deadline_ns && !when_ns)
		c->ctx->nr_deadlines--;
	c->deadline_ns = when_ns;
}

void vsock_conn_close_fd(struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->in_loop)
		ev_del(c->ctx->loop, c->fd);
	c->in_loop = false;
	close(c->fd);
	c->fd = -1;
	c->readable = false;
}

void vsock_conn_free(struct vsock_conn *c)
{
	struct vsock_ctx *x = c->ctx;

	vsock_conn_close_fd(c);
	if (c->hashed)
		vsock_hash_del(c);
	vsock_ready_del(c);
	vsock_conn_set_deadline(c, 0);
	if (c->prev)
		c->prev->next = c->next;
	else
		x->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->buf)
		munmap(c->buf, VSOCK_BUF_ALLOC);
	x->nr_conns--;
	free(c);
}

static void vsock_owe_rst(struct vsock_ctx *x, uint64_t src_cid, uint32_t host_port,
			  uint32_t guest_port)
{
	struct vsock_orphan *o;

	/* Full: the guest is not taking rx buffers; its socket will time out instead. */
	if (x->orphan_len == VSOCK_ORPHAN_MAX) {
		log_debug("vsock: RST to guest port %u dropped (queue full)", guest_port);
		return;
	}
	o = &x->orphan[(x->orphan_head + x->orphan_len) % VSOCK_ORPHAN_MAX];
	*o = (struct vsock_orphan){ .src_cid = src_cid, .host_port = host_port,
				    .guest_port = guest_port };
	x->orphan_len++;
}

void vsock_conn_reset(struct vsock_conn *c)
{
	/* The guest knows nothing of a connection still reading its CONNECT line or
	 * whose REQUEST has not gone out yet. */
	bool known = c->state != VSOCK_ST_HANDSHAKE &&
		     !(c->state == VSOCK_ST_REQUEST && (c->owed & VSOCK_OWE_REQUEST));

	if (known)
		vsock_owe_rst(c->ctx, VSOCK_HOST_CID, c->host_port, c->guest_port);
	vsock_conn_free(c);
}

bool vsock_conn_finish_if_done(struct vsock_conn *c)
{
	if (c->guest_shut != VSOCK_SHUT_BOTH || c->buf_len)
		return false;
	/* Both directions are over from the guest's side and all its data is out:
	 * the guest waits for our RST to finish its close(). */
	vsock_conn_reset(c);
	return true;
}

static bool vsock_at_cap(struct vsock_ctx *x)
{
	if (x->nr_conns < VSOCK_MAX_CONNS)
		return false;
	/* Once: a guest could otherwise flood the log with refused REQUESTs. */
	if (!x->cap_warned)
		log_warn("vsock: %u connections, refusing more", VSOCK_MAX_CONNS);
	x->cap_warned = true;
	return true;
}

/* A new connection around fd (owned from here on, closed on failure). */
static struct vsock_conn *vsock_conn_new(struct vsock_ctx *x, int fd, int *err)
{
	struct vsock_conn *c;

	*err = -EMFILE;
	if (vsock_at_cap(x))
		goto fail;
	*err = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto fail;
	/* Only pages the socket actually refused ever get touched. */
	c->buf = mmap(NULL, VSOCK_BUF_ALLOC, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (c->buf == MAP_FAILED) {
		free(c);
		goto fail;
	}
	*err = ev_add(x->loop, fd, VSOCK_SOCK_EVENTS, x->sock_cb, c);
	if (*err) {
		munmap(c->buf, VSOCK_BUF_ALLOC);
		free(c);
		goto fail;
	}
	c->ctx = x;
	c->fd = fd;
	c->in_loop = true;
	c->next = x->all;
	if (x->all)
		x->all->prev = c;
	x->all = c;
	x->nr_conns++;
	return c;
fail:
	close(fd);
	return NULL;
}

int vsock_ctx_host_accept(struct vsock_ctx *x, int fd, struct vsock_conn **out)
{
	int err;
	struct vsock_conn *c = vsock_conn_new(x, fd, &err);

	if (!c)
		return err;
	c->state = VSOCK_ST_HANDSHAKE;
	vsock_conn_set_deadline(c, util_now_ns() + VSOCK_TIMEOUT_NS);
	if (out)
		*out = c;
	return 0;
}

int vsock_conn_host_request(struct vsock_conn *c, uint32_t guest_port)
{
	struct vsock_ctx *x = c->ctx;
	uint32_t p;

	/* Bounded: at most VSOCK_MAX_CONNS ports can be taken. */
	do {
		p = x->next_port;
		x->next_port = p >= UINT32_MAX - 1 ? VSOCK_FIRST_HOST_PORT : p + 1;
	} while (vsock_ctx_lookup(x, p, guest_port));
	c->host_port = p;
	c->guest_port = guest_port;
	vsock_hash_add(c);
	c->state = VSOCK_ST_REQUEST;
	c->owed |= VSOCK_OWE_REQUEST;
	/* Whatever the client sent after its CONNECT line is read once established. */
	c->readable = true;
	vsock_conn_set_deadline(c, util_now_ns() + VSOCK_TIMEOUT_NS);
	vsock_conn_kick(c);
	return 0;
}

/* A guest REQUEST with no connection: connect to "<uds>_<port>" or refuse. */
static void vsock_guest_connect(struct vsock_ctx *x, const struct vsock_hdr *h)
{
	struct vsock_conn *c;
	int fd, err;

	/* Checked before connect(): the host listener must not see a connection
	 * that we then drop. */
	if (vsock_at_cap(x))
		goto refuse;
	fd = vsock_io_connect(x->uds_path, h->dst_port);
	if (fd < 0) {
		log_debug("vsock: guest connect to port %u: %s", h->dst_port, strerror(-fd));
		goto refuse;
	}
	c = vsock_conn_new(x, fd, &err);
	if (!c)
		goto refuse;
	c->host_port = h->dst_port;
	c->guest_port = h->src_port;
	c->state = VSOCK_ST_ESTABLISHED;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_hash_add(c);
	c->owed |= VSOCK_OWE_RESPONSE;
	vsock_conn_kick(c);
	return;
refuse:
	vsock_owe_rst(x, VSOCK_HOST_CID, h->dst_port, h->src_port);
}

/* The guest answered our REQUEST. False if c is gone. */
static bool vsock_on_response(struct vsock_conn *c, const struct vsock_hdr *h)
{
	char ok[24];
	int n;

	if (h->op == VSOCK_OP_RST) {
		/* Nobody listens on that guest port: the client sees EOF without "OK". */
		vsock_conn_free(c);
		return false;
	}
	if (h->op != VSOCK_OP_RESPONSE || (c->owed & VSOCK_OWE_REQUEST)) {
		vsock_conn_reset(c);
		return false;
	}
	n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
	/* A fresh socket with nothing written yet always takes a few bytes; if it
	 * does not, the client is gone. */
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_conn_reset(c);
		return false;
	}
	c->state = VSOCK_ST_ESTABLISHED;
	vsock_conn_set_deadline(c, 0);
	return true;
}

/* Guest SHUTDOWN on an established connection. False if c is gone. */
static bool vsock_on_shutdown(struct vsock_conn *c, uint32_t flags)
{
	uint32_t added = flags & VSOCK_SHUT_BOTH & ~c->guest_shut;

	c->guest_shut |= added;
	if ((added & VSOCK_SHUT_RCV) && c->fd >= 0)
		shutdown(c->fd, SHUT_RD);
	/* SHUT_WR waits until everything the guest sent before it is written. */
	if (vsock_io_flush(c) < 0) {
		vsock_conn_reset(c);
		return false;
	}
	return !vsock_conn_finish_if_done(c);
}

/* A guest packet for an established connection. False if c is gone. */
static bool vsock_on_established(struct vsock_conn *c, const struct vsock_hdr *h,
				 const struct iovec *iov, unsigned n, size_t skip)
{
	switch (h->op) {
	case VSOCK_OP_RST:
		vsock_conn_free(c);
		return false;
	case VSOCK_OP_RW:
		if (c->guest_shut & VSOCK_SHUT_SEND) {
			vsock_conn_reset(c);
			return false;
		}
		if (h->len && vsock_io_write(c, iov, n, skip, h->len) < 0) {
			vsock_conn_reset(c);
			return false;
		}
		return true;
	case VSOCK_OP_SHUTDOWN:
		return vsock_on_shutdown(c, h->flags);
	case VSOCK_OP_CREDIT_UPDATE:
		return true; /* the header itself carried the news */
	case VSOCK_OP_CREDIT_REQUEST:
		c->owed |= VSOCK_OWE_CREDIT_UPDATE;
		return true;
	default: /* REQUEST or RESPONSE on an established connection */
		vsock_conn_reset(c);
		return false;
	}
}

/* Host side is gone and we said so; only the guest's RST (or its SHUTDOWN, which
 * we answer with RST) is left to wait for. False if c is gone. */
static bool vsock_on_closing(struct vsock_conn *c, const struct vsock_hdr *h)
{
	if (h->op == VSOCK_OP_RST) {
		vsock_conn_free(c);
		return false;
	}
	if (h->op == VSOCK_OP_SHUTDOWN || h->op == VSOCK_OP_REQUEST ||
	    h->op == VSOCK_OP_RESPONSE) {
		vsock_conn_reset(c);
		return false;
	}
	return true; /* data and credit for a peer that left: dropped */
}

void vsock_ctx_guest_pkt(struct vsock_ctx *x, const struct vsock_hdr *h, const struct iovec *iov,
			 unsigned n, size_t skip, uint32_t payload_avail)
{
	const char *why = NULL;
	struct vsock_conn *c;
	bool alive = false;

	switch (vsock_hdr_check(h, x->guest_cid, payload_avail, &why)) {
	case VSOCK_PKT_DROP:
		log_debug("vsock: dropped guest packet (op %u): %s", h->op, why ? why : "");
		return;
	case VSOCK_PKT_RST:
		log_debug("vsock: refused guest packet (op %u): %s", h->op, why);
		vsock_owe_rst(x, h->dst_cid, h->dst_port, h->src_port);
		return;
	case VSOCK_PKT_OK:
		break;
	}
	c = vsock_ctx_lookup(x, h->dst_port, h->src_port);
	if (!c) {
		if (h->op == VSOCK_OP_REQUEST)
			vsock_guest_connect(x, h);
		else if (h->op != VSOCK_OP_RST)
			vsock_owe_rst(x, VSOCK_HOST_CID, h->dst_port, h->src_port);
		return;
	}
	/* Every header carries the guest's current receive window. */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	if (vsock_peer_credit(c) > 0)
		c->credit_req_sent = false;
	if (c->state == VSOCK_ST_REQUEST)
		alive = vsock_on_response(c, h);
	else if (c->state == VSOCK_ST_ESTABLISHED)
		alive = vsock_on_established(c, h, iov, n, skip);
	else if (c->state == VSOCK_ST_CLOSING)
		alive = vsock_on_closing(c, h);
	if (alive)
		vsock_conn_kick(c);
}

/* The header of a packet from the host side of c, carrying our receive window. */
static void vsock_conn_hdr(struct vsock_conn *c, struct vsock_hdr *h, uint16_t op)
{
	*h = (struct vsock_hdr){ .src_cid = VSOCK_HOST_CID, .dst_cid = c->ctx->guest_cid,
				 .src_port = c->host_port, .dst_port = c->guest_port,
				 .type = VSOCK_TYPE_STREAM, .op = op, .buf_alloc = VSOCK_BUF_ALLOC,
				 .fwd_cnt = c->fwd_cnt };
}

/* Socket data into the rx buffer after its header. >0 bytes, 0 if there was none
 * (EOF or EAGAIN, noted in c), -1 if c was reset and is gone. */
static int vsock_emit_data(struct vsock_conn *c, const struct iovec *iov, unsigned n,
			   uint32_t room)
{
	size_t max = MIN(MIN(room, vsock_peer_credit(c)), VSOCK_MAX_PAYLOAD);
	ssize_t r = vsock_io_read(c, iov, n, VSOCK_HDR_LEN, max);

	if (r > 0) {
		c->tx_cnt += (uint32_t)r;
		return (int)r;
	}
	if (r == 0) {
		c->rd_eof = true;
		/* A peer that closed outright will not read either. */
		c->host_shut |= VSOCK_SHUT_SEND | (c->hup ? VSOCK_SHUT_RCV : 0);
		c->owed |= VSOCK_OWE_SHUTDOWN;
		return 0;
	}
	if (r == -EAGAIN) {
		c->readable = false;
		return 0;
	}
	log_debug("vsock: read from host port %u: %s", c->host_port, strerror((int)-r));
	vsock_conn_reset(c);
	return -1;
}

/* Picks the one packet c sends next: control first, then data, SHUTDOWN last as
 * it ends the stream. Returns the op (0: nothing, -1: c is gone); *len gets the
 * payload bytes already placed after the header. */
static int vsock_conn_pick(struct vsock_conn *c, const struct iovec *iov, unsigned n,
			   uint32_t room, uint32_t *len)
{
	static const struct {
		uint32_t owe;
		uint16_t op;
	} ctl[] = {
		{ VSOCK_OWE_REQUEST, VSOCK_OP_REQUEST },
		{ VSOCK_OWE_RESPONSE, VSOCK_OP_RESPONSE },
		{ VSOCK_OWE_CREDIT_UPDATE, VSOCK_OP_CREDIT_UPDATE },
		{ VSOCK_OWE_CREDIT_REQUEST, VSOCK_OP_CREDIT_REQUEST },
	};
	int r;

	*len = 0;
	/* Credit that arrived since the request was queued makes it moot. */
	if (vsock_peer_credit(c) > 0)
		c->owed &= ~VSOCK_OWE_CREDIT_REQUEST;
	for (unsigned i = 0; i < ARRAY_SIZE(ctl); i++) {
		if (c->owed & ctl[i].owe) {
			c->owed &= ~ctl[i].owe;
			return ctl[i].op;
		}
	}
	if (vsock_conn_want_read(c)) {
		/* A buffer with no room past the header still carries our window. */
		if (room == 0)
			return VSOCK_OP_CREDIT_UPDATE;
		r = vsock_emit_data(c, iov, n, room);
		if (r < 0)
			return -1;
		if (r > 0) {
			*len = (uint32_t)r;
			return VSOCK_OP_RW;
		}
	}
	if (c->owed & VSOCK_OWE_SHUTDOWN) {
		c->owed &= ~VSOCK_OWE_SHUTDOWN;
		return VSOCK_OP_SHUTDOWN;
	}
	return 0;
}

/* One packet from c into the rx buffer: bytes written, 0 for nothing, or -1 if c
 * was reset (freed) on the way. */
static int vsock_conn_emit(struct vsock_conn *c, const struct iovec *iov, unsigned n,
			   uint32_t in_len)
{
	uint8_t raw[VSOCK_HDR_LEN];
	struct vsock_hdr h;
	uint32_t len;
	int op = vsock_conn_pick(c, iov, n, in_len - VSOCK_HDR_LEN, &len);

	if (op <= 0)
		return op;
	vsock_conn_hdr(c, &h, (uint16_t)op);
	h.len = len;
	if (op == VSOCK_OP_SHUTDOWN)
		h.flags = c->host_shut;
	vsock_hdr_encode(&h, raw);
	vq_buf_to_iov(iov, n, 0, raw, sizeof(raw));
	/* Every packet tells the guest our fwd_cnt: no separate update is due. */
	c->fwd_cnt_sent = c->fwd_cnt;
	c->owed &= ~VSOCK_OWE_CREDIT_UPDATE;
	if (op == VSOCK_OP_SHUTDOWN && c->host_shut == VSOCK_SHUT_BOTH) {
		/* The host side is finished; the guest answers with RST (or we time out). */
		vsock_conn_close_fd(c);
		c->state = VSOCK_ST_CLOSING;
		vsock_conn_set_deadline(c, util_now_ns() + VSOCK_TIMEOUT_NS);
	}
	return VSOCK_HDR_LEN + (int)len;
}

static int vsock_emit_orphan(struct vsock_ctx *x, const struct iovec *iov, unsigned n)
{
	const struct vsock_orphan *o = &x->orphan[x->orphan_head];
	struct vsock_hdr h = { .src_cid = o->src_cid, .dst_cid = x->guest_cid,
			       .src_port = o->host_port, .dst_port = o->guest_port,
			       .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST };
	uint8_t raw[VSOCK_HDR_LEN];

	x->orphan_head = (x->orphan_head + 1) % VSOCK_ORPHAN_MAX;
	x->orphan_len--;
	vsock_hdr_encode(&h, raw);
	vq_buf_to_iov(iov, n, 0, raw, sizeof(raw));
	return VSOCK_HDR_LEN;
}

bool vsock_ctx_has_rx(const struct vsock_ctx *x)
{
	return x->orphan_len || x->ready_head;
}

int vsock_ctx_next_rx(struct vsock_ctx *x, const struct iovec *iov, unsigned n, uint32_t in_len)
{
	struct vsock_conn *c;
	int r;

	if (in_len < VSOCK_HDR_LEN)
		return -EINVAL;
	for (;;) {
		if (x->orphan_len)
			return vsock_emit_orphan(x, iov, n);
		c = x->ready_head;
		if (!c)
			return 0;
		/* Round robin: one packet per connection, then to the back of the line. */
		vsock_ready_del(c);
		r = vsock_conn_emit(c, iov, n, in_len);
		if (r > 0) {
			vsock_conn_kick(c);
			return r;
		}
	}
}

void vsock_ctx_expire(struct vsock_ctx *x, uint64_t now_ns)
{
	struct vsock_conn *c = x->all, *next;

	for (; c; c = next) {
		next = c->next;
		if (!c->deadline_ns || c->deadline_ns > now_ns)
			continue;
		if (c->state == VSOCK_ST_ESTABLISHED) {
			vsock_conn_set_deadline(c, 0);
			continue;
		}
		log_debug("vsock: connection host port %u / guest port %u timed out", c->host_port,
			  c->guest_port);
		vsock_conn_reset(c);
	}
}

void vsock_ctx_reset(struct vsock_ctx *x)
{
	while (x->all)
		vsock_conn_free(x->all);
	x->orphan_head = x->orphan_len = 0;
}
