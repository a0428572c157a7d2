/* A fake virtio-vsock guest driver for test_vsock_dev.c (include it there only):
 * it programs the virtio-mmio registers, owns the rx/tx/event rings in fake guest
 * memory, kicks and waits for interrupts as Linux does (with or without EVENT_IDX),
 * and runs a minimal guest vsock stack: listening ports, connecting out, streams
 * of a known pattern each way with credit-based flow control, closing like close()
 * (SHUTDOWN both, wait for RST). Anything the device does wrong is counted in
 * errors; a second without an expected interrupt is counted in stalls. */
#ifndef RUNVM_TESTS_UNIT_VSOCK_FAKE_GUEST_H
#define RUNVM_TESTS_UNIT_VSOCK_FAKE_GUEST_H

#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "vmm/virtio/virtio.h"
#include "vmm/virtio/vsock.h"
#include "vmm/virtio/vsock_conn.h"

#define QN 256
#define RX_PAYLOAD 4096          /* what Linux posts */
#define TX_PAYLOAD 16384
#define MEM_SIZE (16u << 20)
#define RX_BUFS 0x100000ull      /* QN x 8 KiB */
#define TX_BUFS 0x400000ull      /* QN x 32 KiB */
#define MANY 64                  /* half host-initiated, half guest-initiated */
#define SMALL_LEN (1u << 20)
#define GUEST_BUF (128u * 1024)  /* the fake guest's buf_alloc */
#define PORT_SMALL 5000          /* guest listens */
#define PORT_BIG 5002            /* guest listens */
#define PORT_CLOSED 5001         /* guest does not listen */
#define HPORT_OPEN 6000          /* host listens on <uds>_6000 */
#define HPORT_CLOSED 6001
#define HOST_SEED 0x1234u
#define GUEST_SEED 0x5678u

/* The byte stream each side sends: position-dependent, so loss, duplication and
 * reordering all show. */
static void pattern(uint32_t seed, uint64_t off, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t p = off + i, z = ((uint64_t)seed << 40) ^ (p >> 3);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		buf[i] = (uint8_t)((z ^ (z >> 31)) >> ((p & 7) * 8));
	}
}


struct fq {
	uint64_t desc, avail, used;
	uint16_t avail_idx, last_used, kicked_idx;
};

struct gconn {
	bool live, initiated, est, host_done, shut_send, shut_both, owe_rst, owe_credit, owe_resp;
	uint32_t gport, hport;
	uint64_t len, roff, woff;
	uint32_t peer_buf, peer_fwd, tx_cnt, rx_cnt, fwd_cnt, fwd_sent;
};

struct fake_guest {
	struct virtio_dev *d;
	uint8_t *mem;
	struct fq q[3];
	int irq_fd;
	bool event_idx;               /* VIRTIO_F_RING_EVENT_IDX negotiated */
	unsigned stalls;              /* waits that saw no interrupt for a second */
	uint16_t free_tx[QN];
	unsigned nr_free_tx;
	bool tx_pending;
	struct gconn c[MANY + 4];
	uint32_t refuse[16][2];
	unsigned nr_refuse;
	uint64_t big_len;
	unsigned closed_ok, errors, expect_closed;
	bool refused_seen;
};

static void fg_err(struct fake_guest *g, int line)
{
	if (g->errors < 10)
		printf("# guest: protocol error (vsock_fake_guest.h:%d)\n", line);
	g->errors++;
}
#define FG_ERR(g) fg_err(g, __LINE__)

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_write(d, off, &v, 4);
}

static uint32_t rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(d, off, &v, 4);
	return v;
}

static void fq_add(struct fake_guest *g, unsigned qi, uint16_t id, uint64_t addr, uint32_t len,
		   bool writable)
{
	struct fq *q = &g->q[qi];
	uint8_t *desc = g->mem + q->desc + 16u * id;
	uint16_t flags = writable ? VQ_DESC_F_WRITE : 0, next = 0;

	memcpy(desc, &addr, 8);
	memcpy(desc + 8, &len, 4);
	memcpy(desc + 12, &flags, 2);
	memcpy(desc + 14, &next, 2);
	memcpy(g->mem + q->avail + 4 + 2u * (q->avail_idx % QN), &id, 2);
	q->avail_idx++;
	__atomic_store_n((uint16_t *)(g->mem + q->avail + 2), q->avail_idx, __ATOMIC_RELEASE);
}

static bool fq_used(struct fake_guest *g, unsigned qi, uint32_t *id, uint32_t *len)
{
	struct fq *q = &g->q[qi];
	uint16_t idx = __atomic_load_n((uint16_t *)(g->mem + q->used + 2), __ATOMIC_ACQUIRE);
	const uint8_t *e = g->mem + q->used + 4 + 8u * (q->last_used % QN);

	if (idx == q->last_used)
		return false;
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	q->last_used++;
	return true;
}

/* Kicks as Linux does: with EVENT_IDX only when the device asked (avail_event). */
static void fq_kick(struct fake_guest *g, unsigned qi)
{
	struct fq *q = &g->q[qi];
	uint16_t old = q->kicked_idx, ev;

	q->kicked_idx = q->avail_idx;
	if (g->event_idx) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		ev = __atomic_load_n((uint16_t *)(g->mem + q->used + 4 + 8 * QN), __ATOMIC_RELAXED);
		if ((uint16_t)(q->avail_idx - ev - 1) >= (uint16_t)(q->avail_idx - old))
			return;
	}
	wr(g->d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* Asks for an interrupt on the next used buffer; true if one is already there. */
static bool fq_arm(struct fake_guest *g, unsigned qi)
{
	struct fq *q = &g->q[qi];

	if (g->event_idx)
		__atomic_store_n((uint16_t *)(g->mem + q->avail + 4 + 2 * QN), q->last_used,
				 __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n((uint16_t *)(g->mem + q->used + 2), __ATOMIC_ACQUIRE) !=
	       q->last_used;
}

static int fg_setup(struct fake_guest *g, struct virtio_dev *d, uint8_t *mem)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

	g->d = d;
	g->mem = mem;
	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, st);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, g->event_idx ? 1u << VIRTIO_F_RING_EVENT_IDX : 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, st |= VIRTIO_STATUS_FEATURES_OK);
	if (!(rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	for (unsigned i = 0; i < 3; i++) {
		g->q[i] = (struct fq){ .desc = 0x10000u * (i + 1),
				       .avail = 0x10000u * (i + 1) + 0x1000,
				       .used = 0x10000u * (i + 1) + 0x2000 };
		wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, QN);
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)g->q[i].desc);
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)g->q[i].avail);
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)g->q[i].used);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	for (uint16_t i = 0; i < QN; i++) {
		fq_add(g, VSOCK_QUEUE_RX, i, RX_BUFS + 8192u * i, VSOCK_HDR_LEN + RX_PAYLOAD, true);
		g->free_tx[g->nr_free_tx++] = i;
	}
	for (uint16_t i = 0; i < 4; i++)
		fq_add(g, VSOCK_QUEUE_EVENT, i, 0x300000 + 64u * i, 8, true);
	wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	if (!virtio_dev_active(d))
		return -1;
	fq_kick(g, VSOCK_QUEUE_RX);
	fq_kick(g, VSOCK_QUEUE_EVENT);
	return 0;
}

static struct gconn *fg_find(struct fake_guest *g, uint32_t gport, uint32_t hport)
{
	for (unsigned i = 0; i < ARRAY_SIZE(g->c); i++)
		if (g->c[i].live && g->c[i].gport == gport && g->c[i].hport == hport)
			return &g->c[i];
	return NULL;
}

static struct gconn *fg_new(struct fake_guest *g, uint32_t gport, uint32_t hport, uint64_t len)
{
	for (unsigned i = 0; i < ARRAY_SIZE(g->c); i++) {
		if (!g->c[i].live) {
			g->c[i] = (struct gconn){ .live = true, .gport = gport, .hport = hport,
						  .len = len };
			return &g->c[i];
		}
	}
	FG_ERR(g);
	return NULL;
}

/* Queues one packet on tx; false when no slot is free. */
static bool fg_send(struct fake_guest *g, uint32_t gport, uint32_t hport, uint16_t op,
		    uint32_t flags, struct gconn *c, uint32_t len)
{
	struct vsock_hdr h = { .src_cid = 3, .dst_cid = 2, .src_port = gport, .dst_port = hport,
			       .type = VSOCK_TYPE_STREAM, .op = op, .flags = flags, .len = len,
			       .buf_alloc = GUEST_BUF };
	uint16_t slot;
	uint8_t *buf;

	if (!g->nr_free_tx)
		return false;
	slot = g->free_tx[--g->nr_free_tx];
	buf = g->mem + TX_BUFS + 32768u * slot;
	if (c) {
		h.fwd_cnt = c->fwd_sent = c->fwd_cnt;
		c->owe_credit = false;
		if (len)
			pattern(GUEST_SEED, c->woff, buf + VSOCK_HDR_LEN, len);
		c->woff += len;
		c->tx_cnt += len;
	}
	vsock_hdr_encode(&h, buf);
	fq_add(g, VSOCK_QUEUE_TX, slot, TX_BUFS + 32768u * slot, VSOCK_HDR_LEN + len, false);
	g->tx_pending = true;
	return true;
}

static void fg_close(struct fake_guest *g, struct gconn *c, bool clean)
{
	if (clean)
		g->closed_ok++;
	else
		FG_ERR(g);
	c->live = false;
}

static void fg_rw(struct fake_guest *g, struct gconn *c, const uint8_t *data, uint32_t len)
{
	static uint8_t want[RX_PAYLOAD];

	c->rx_cnt += len;
	/* The device must stay within the window we advertised. */
	if (c->rx_cnt - c->fwd_sent > GUEST_BUF || c->roff + len > c->len || len > RX_PAYLOAD) {
		FG_ERR(g);
		return;
	}
	pattern(HOST_SEED, c->roff, want, len);
	if (memcmp(want, data, len))
		FG_ERR(g);
	c->roff += len;
	c->fwd_cnt += len;
	if (c->fwd_cnt - c->fwd_sent >= GUEST_BUF / 4)
		c->owe_credit = true;
}

static void fg_request(struct fake_guest *g, const struct vsock_hdr *h)
{
	struct gconn *c = NULL;

	if (h->dst_port == PORT_SMALL || h->dst_port == PORT_BIG)
		c = fg_new(g, h->dst_port, h->src_port,
			   h->dst_port == PORT_BIG ? g->big_len : SMALL_LEN);
	if (!c) {
		if (g->nr_refuse < ARRAY_SIZE(g->refuse)) {
			g->refuse[g->nr_refuse][0] = h->dst_port;
			g->refuse[g->nr_refuse++][1] = h->src_port;
		}
		return;
	}
	c->est = c->owe_resp = true;
	c->peer_buf = h->buf_alloc;
	c->peer_fwd = h->fwd_cnt;
}

static void fg_packet(struct fake_guest *g, const struct vsock_hdr *h, const uint8_t *data)
{
	struct gconn *c = fg_find(g, h->dst_port, h->src_port);

	if (h->src_cid != 2 || h->dst_cid != 3 || h->type != VSOCK_TYPE_STREAM)
		FG_ERR(g);
	if (h->op == VSOCK_OP_REQUEST) {
		if (c)
			FG_ERR(g);
		else
			fg_request(g, h);
		return;
	}
	if (!c)
		return; /* e.g. the RST answering our RST-less leftovers */
	c->peer_buf = h->buf_alloc;
	c->peer_fwd = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		c->est = true;
		break;
	case VSOCK_OP_RST:
		if (c->initiated && !c->est && c->hport == HPORT_CLOSED) {
			g->refused_seen = true;
			c->live = false;
			break;
		}
		fg_close(g, c, c->shut_both && c->roff == c->len && c->woff == c->len);
		break;
	case VSOCK_OP_RW:
		fg_rw(g, c, data, h->len);
		break;
	case VSOCK_OP_SHUTDOWN:
		/* The host's stream must be complete when it says it is done. */
		if ((h->flags & VSOCK_SHUT_SEND) && c->roff != c->len)
			FG_ERR(g);
		c->host_done = true;
		/* The host closed outright: answer with RST, as Linux does. */
		if (h->flags == VSOCK_SHUT_BOTH)
			c->owe_rst = true;
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->owe_credit = true;
		break;
	}
}

static bool fg_poll_used(struct fake_guest *g)
{
	struct vsock_hdr h;
	uint32_t id, len;
	bool any = false, rx = false;

	while (fq_used(g, VSOCK_QUEUE_TX, &id, &len)) {
		g->free_tx[g->nr_free_tx++] = (uint16_t)id;
		any = true;
	}
	while (fq_used(g, VSOCK_QUEUE_RX, &id, &len)) {
		const uint8_t *buf = g->mem + RX_BUFS + 8192u * id;

		vsock_hdr_decode(buf, &h);
		if (len != VSOCK_HDR_LEN + h.len)
			FG_ERR(g);
		else
			fg_packet(g, &h, buf + VSOCK_HDR_LEN);
		fq_add(g, VSOCK_QUEUE_RX, (uint16_t)id, RX_BUFS + 8192u * id,
		       VSOCK_HDR_LEN + RX_PAYLOAD, true);
		any = rx = true;
	}
	if (rx)
		fq_kick(g, VSOCK_QUEUE_RX);
	return any;
}

/* What one connection sends next, if anything. */
static bool fg_conn_out(struct fake_guest *g, struct gconn *c)
{
	uint32_t credit = vsock_credit(c->peer_buf, c->peer_fwd, c->tx_cnt);
	uint32_t n = (uint32_t)MIN((uint64_t)MIN(credit, TX_PAYLOAD), c->len - c->woff);

	if (c->owe_rst) {
		if (!fg_send(g, c->gport, c->hport, VSOCK_OP_RST, 0, NULL, 0))
			return false;
		fg_close(g, c, c->roff == c->len && c->woff == c->len);
		return true;
	}
	if (c->owe_resp) {
		c->owe_resp = !fg_send(g, c->gport, c->hport, VSOCK_OP_RESPONSE, 0, c, 0);
		return !c->owe_resp;
	}
	if (c->owe_credit)
		return fg_send(g, c->gport, c->hport, VSOCK_OP_CREDIT_UPDATE, 0, c, 0);
	if (!c->est)
		return false;
	if (n)
		return fg_send(g, c->gport, c->hport, VSOCK_OP_RW, 0, c, n);
	if (c->woff == c->len && !c->shut_send) {
		c->shut_send = fg_send(g, c->gport, c->hport, VSOCK_OP_SHUTDOWN, VSOCK_SHUT_SEND, c, 0);
		return c->shut_send;
	}
	/* Like close(): both ways done, tell the host and wait for its RST. */
	if (c->shut_send && c->host_done && c->roff == c->len && !c->shut_both) {
		c->shut_both = fg_send(g, c->gport, c->hport, VSOCK_OP_SHUTDOWN, VSOCK_SHUT_BOTH, c, 0);
		return c->shut_both;
	}
	return false;
}

static bool fg_output(struct fake_guest *g)
{
	bool any = false;

	while (g->nr_refuse && fg_send(g, g->refuse[g->nr_refuse - 1][0],
				       g->refuse[g->nr_refuse - 1][1], VSOCK_OP_RST, 0, NULL, 0)) {
		g->nr_refuse--;
		any = true;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(g->c); i++)
		while (g->c[i].live && g->nr_free_tx && fg_conn_out(g, &g->c[i]))
			any = true;
	if (g->tx_pending) {
		fq_kick(g, VSOCK_QUEUE_TX);
		g->tx_pending = false;
	}
	return any;
}

static void fg_run(struct fake_guest *g, unsigned nr_connect, unsigned timeout_s)
{
	uint64_t end = util_now_ns() + timeout_s * 1000000000ull, v;

	for (unsigned i = 0; i < nr_connect; i++) {
		struct gconn *c = fg_new(g, 2000 + i, HPORT_OPEN, SMALL_LEN);

		c->initiated = true;
		fg_send(g, c->gport, c->hport, VSOCK_OP_REQUEST, 0, c, 0);
	}
	fg_new(g, 1999, HPORT_CLOSED, 0)->initiated = true;
	fg_send(g, 1999, HPORT_CLOSED, VSOCK_OP_REQUEST, 0, NULL, 0);
	while (g->closed_ok + g->errors < g->expect_closed || !g->refused_seen) {
		bool any = fg_poll_used(g);

		any |= fg_output(g);
		if (util_now_ns() > end)
			break;
		if (!any && !fq_arm(g, VSOCK_QUEUE_RX) && !fq_arm(g, VSOCK_QUEUE_TX)) {
			struct pollfd p = { .fd = g->irq_fd, .events = POLLIN };

			/* Everything here is event driven: a quiet second is a lost
			 * interrupt or kick. */
			if (poll(&p, 1, 1000) == 0)
				g->stalls++;
			else if (read(g->irq_fd, &v, sizeof(v)) < 0)
				FG_ERR(g);
		}
	}
}

static void fg_raise(struct virtio_dev *d)
{
	const struct fake_guest *g = d->irq_arg;
	uint64_t one = 1;

	(void)!write(g->irq_fd, &one, sizeof(one));
}

#endif
