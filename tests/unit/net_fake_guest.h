/* A fake virtio-net driver for test_net_dev.c (include it there only): it programs
 * the virtio-mmio registers, owns the rx and tx rings in fake guest memory, posts
 * chains of any layout (also hostile ones) and kicks, while the device runs on an
 * event loop in another thread. Waits are bounded: a device that never answers
 * fails the test instead of hanging it. */
#ifndef RUNVM_TESTS_UNIT_NET_FAKE_GUEST_H
#define RUNVM_TESTS_UNIT_NET_FAKE_GUEST_H

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "vmm/ev.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/virtio.h"

#define QN 256
#define MEM_SIZE (8u << 20)
#define RING(q) (0x10000u + 0x10000u * (q)) /* desc; avail +0x1000; used +0x2000 */
#define RXBUF(i) (0x100000u + 2048u * (i))
#define RXBUF_LEN (NET_HDR_LEN + 1514u)
#define TXAREA 0x300000u /* frames built here; up to 4 MiB */

struct fg_seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

struct fg_q {
	uint16_t avail_idx, last_used, next_desc;
};

struct fg {
	struct virtio_dev *d;
	uint8_t *mem;
	struct fg_q q[2];
	uint64_t features;
	unsigned irqs;
};

static void fg_wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_write(d, off, &v, 4);
}

static uint32_t fg_rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(d, off, &v, 4);
	return v;
}

static void fg_irq(struct virtio_dev *d)
{
	struct fg *g = d->irq_arg;

	__atomic_add_fetch(&g->irqs, 1, __ATOMIC_SEQ_CST);
}

static void fg_desc(struct fg *g, unsigned qi, uint16_t id, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint8_t *d = g->mem + RING(qi) + 16u * id;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Publishes head in the avail ring. */
static void fg_publish(struct fg *g, unsigned qi, uint16_t head)
{
	struct fg_q *q = &g->q[qi];

	memcpy(g->mem + RING(qi) + 0x1000 + 4 + 2u * (q->avail_idx % QN), &head, 2);
	q->avail_idx++;
	__atomic_store_n((uint16_t *)(g->mem + RING(qi) + 0x1000 + 2), q->avail_idx,
			 __ATOMIC_RELEASE);
}

/* A chain of n segments (descriptors taken in a round); returns its head. */
static uint16_t fg_chain(struct fg *g, unsigned qi, const struct fg_seg *s, unsigned n)
{
	struct fg_q *q = &g->q[qi];
	uint16_t head = q->next_desc % QN;

	for (unsigned i = 0; i < n; i++) {
		uint16_t id = (uint16_t)(q->next_desc++ % QN);
		uint16_t flags = (uint16_t)((s[i].write ? VQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VQ_DESC_F_NEXT : 0));

		fg_desc(g, qi, id, s[i].addr, s[i].len, flags, (uint16_t)((id + 1) % QN));
	}
	fg_publish(g, qi, head);
	return head;
}

static void fg_kick(struct fg *g, unsigned qi)
{
	fg_wr(g->d, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

static uint16_t fg_used_idx(struct fg *g, unsigned qi)
{
	return __atomic_load_n((uint16_t *)(g->mem + RING(qi) + 0x2000 + 2), __ATOMIC_ACQUIRE);
}

/* Waits (up to 5 s) for the next used element of queue qi: true and its id/len. */
static bool fg_wait_used(struct fg *g, unsigned qi, uint32_t *id, uint32_t *len)
{
	struct fg_q *q = &g->q[qi];
	struct timespec ts = { 0, 200 * 1000 };
	const uint8_t *e;

	for (int i = 0; i < 25000 && fg_used_idx(g, qi) == q->last_used; i++)
		nanosleep(&ts, NULL);
	if (fg_used_idx(g, qi) == q->last_used)
		return false;
	e = g->mem + RING(qi) + 0x2000 + 4 + 8u * (q->last_used % QN);
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	q->last_used++;
	return true;
}

/* Negotiates features (those the device offers among want) and sets up both
 * queues; 0 when the device reached DRIVER_OK. */
static int fg_setup(struct fg *g, struct virtio_dev *d, uint8_t *mem, uint64_t want)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	uint64_t offered;

	memset(g, 0, sizeof(*g));
	g->d = d;
	g->mem = mem;
	d->raise_irq = fg_irq;
	d->irq_arg = g;
	fg_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	fg_wr(d, VIRTIO_MMIO_STATUS, st);
	fg_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	offered = fg_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
	fg_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	offered |= (uint64_t)fg_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	g->features = offered & (want | 1ull << VIRTIO_F_VERSION_1);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)g->features);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	fg_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(g->features >> 32));
	fg_wr(d, VIRTIO_MMIO_STATUS, st |= VIRTIO_STATUS_FEATURES_OK);
	if (!(fg_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
		return -1;
	for (unsigned i = 0; i < 2; i++) {
		fg_wr(d, VIRTIO_MMIO_QUEUE_SEL, i);
		fg_wr(d, VIRTIO_MMIO_QUEUE_NUM, QN);
		fg_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, RING(i));
		fg_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, RING(i) + 0x1000);
		fg_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, RING(i) + 0x2000);
		fg_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	fg_wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
	return virtio_dev_active(d) ? 0 : -1;
}

/* Posts n single-descriptor rx buffers of len bytes, each at RXBUF(its id). */
static void fg_post_rx(struct fg *g, unsigned n, uint32_t len)
{
	for (unsigned i = 0; i < n; i++) {
		struct fg_seg s = { RXBUF(g->q[NET_QUEUE_RX].next_desc % QN), len, true };

		fg_chain(g, NET_QUEUE_RX, &s, 1);
	}
	fg_kick(g, NET_QUEUE_RX);
}

static bool fg_needs_reset(struct fg *g)
{
	return fg_rd(g->d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET;
}

/* ---- the device on its loop ------------------------------------------------------ */

struct world {
	struct ev_loop *loop;
	struct net_dev *n;
	struct virtio_dev *d;
	struct guest_mem mem;
	uint8_t *ram;
	struct fg g;
	int host;        /* our end of the back-end: a socket, or a packet socket on the tap */
	int stop_fd;
	pthread_t th;
};

static void world_stop_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	ev_stop(loop, 0);
}

static void *world_loop(void *arg)
{
	struct world *w = arg;

	ev_run(w->loop);
	return NULL;
}

/* A device over cfg's fd, a fresh loop running in a thread, the fake driver at
 * DRIVER_OK with the features of want. */
static int world_up(struct world *w, const struct net_cfg *cfg, uint64_t want)
{
	memset(w->ram, 0, MEM_SIZE);
	mem_init_fake(&w->mem, w->ram, MEM_SIZE);
	w->loop = ev_create();
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev_add(w->loop, w->stop_fd, EPOLLIN, world_stop_cb, NULL);
	if (net_create(&w->n, w->loop, &w->mem, cfg))
		return -1;
	w->d = net_dev(w->n);
	if (virtio_dev_init(w->d, &w->mem, 0xd0000000, 5))
		return -1;
	pthread_create(&w->th, NULL, world_loop, w);
	return fg_setup(&w->g, w->d, w->ram, want);
}

static void world_down(struct world *w)
{
	uint64_t one = 1;

	(void)!write(w->stop_fd, &one, sizeof(one));
	pthread_join(w->th, NULL);
	virtio_dev_fini(w->d);
	net_destroy(w->n);
	ev_del(w->loop, w->stop_fd);
	close(w->stop_fd);
	ev_destroy(w->loop);
	if (w->host >= 0)
		close(w->host);
	w->host = -1;
}

#endif
