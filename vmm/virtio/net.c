/* The virtio-net device (see net.h): virtio ops, the rx and tx queue loops over the
 * tap, and the event-loop plumbing (the tap's readiness, a kick eventfd for work
 * handed over from vCPU threads).
 *
 * Rules this file keeps:
 * - Frames are read into and written from the guest's buffers directly (readv,
 *   writev over the chain's iovecs, which vq_pop has bounds-checked). The only
 *   thing copied is the 12-byte header of a tx frame: it is checked on a private
 *   copy and that copy is what the tap gets, so the guest cannot change it after
 *   the check.
 * - A frame longer than the guest's buffer must not be passed on cut short, and a
 *   tap read does not say whether it cut (kernels differ): every read has a spill
 *   buffer behind the guest's, big enough for any frame, so a frame that reaches
 *   it is known to be too long. It is dropped and the buffer returned empty, which
 *   the driver counts as a length error.
 * - With mergeable rx buffers (MRG_RXBUF) a frame longer than its first buffer goes
 *   on from the spill into as many more as it needs: the one copy there is, and only
 *   for big (TSO) frames; small ones still land in the guest's buffer directly.
 * - No allocation here after net_create: chains and iovecs live in struct net_dev. */
#include "vmm/virtio/net.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include "common/log.h"
#include "common/util.h"

#define NET_HDR_F_NEEDS_CSUM 1
#define NET_GSO_NONE 0
#define NET_GSO_TCPV4 1
#define NET_GSO_TCPV6 4
#define NET_ETH_HLEN 14
/* Frames taken per loop callback: the tap stays readable (level-triggered), so
 * the rest comes at the next turn, after everyone else had theirs. */
#define NET_RX_BUDGET 256
/* Buffers one frame may take with mergeable rx buffers (a 64 KiB TSO frame in
 * Linux's smallest ones, 1.5 KiB, takes 44). */
#define NET_MRG_MAX 64

/* struct virtio_net_hdr_mrg_rxbuf, little-endian. */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

_Static_assert(sizeof(struct net_hdr) == NET_HDR_LEN, "virtio-net header layout");

/* struct virtio_net_config up to mtu, little-endian. */
struct net_config {
	uint8_t mac[NET_MAC_LEN];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
} __attribute__((packed));

struct net_dev {
	struct virtio_dev dev;
	struct ev_loop *loop;
	int fd, kick_fd;
	bool tap;
	bool fd_in_loop, kick_in_loop;
	bool active;        /* between activate and reset */
	bool reset_pending; /* a reset came from a vCPU thread; the loop finishes it */
	bool rx_polling;    /* the tap is in the loop (EPOLLIN) */
	bool tid_known;
	pthread_t loop_tid;
	unsigned offloads;  /* TUN_F_* the tap was last given */
	struct net_config cfg;
	struct net_stats stats;
	struct vq_chain chain;                  /* scratch for the queue loops */
	struct vq_chain more;                   /* the further buffers of a merged frame */
	uint16_t mrg_head[NET_MRG_MAX];         /* and what went into each */
	uint32_t mrg_len[NET_MRG_MAX];
	struct iovec tx_iov[VQ_MAX_SEGS + 1];   /* header copy + the frame */
	struct iovec rx_iov[VQ_MAX_SEGS + 1];   /* the guest's buffers + the spill */
	uint8_t rx_spill[NET_HDR_LEN + NET_FRAME_MAX + 1];
};

static struct net_dev *net_of(struct virtio_dev *d)
{
	return d->priv;
}

static bool net_acked(const struct net_dev *n, unsigned bit)
{
	return n->dev.acked_features & (1ull << bit);
}

static void net_kick_self(struct net_dev *n)
{
	uint64_t one = 1;

	/* Only fails when the counter is saturated, and then a wakeup is pending. */
	if (write(n->kick_fd, &one, sizeof(one)) < 0)
		log_debug("net: kick: %s", strerror(errno));
}

static bool net_on_loop(const struct net_dev *n)
{
	return n->tid_known && pthread_equal(pthread_self(), n->loop_tid);
}

static void net_rx_poll(struct net_dev *n, bool on)
{
	if (n->rx_polling == on || !n->fd_in_loop)
		return;
	if (ev_mod(n->loop, n->fd, on ? EPOLLIN : 0) == 0)
		n->rx_polling = on;
}

static void net_fail(struct net_dev *n, const char *why)
{
	log_warn("net: %s; device needs a reset", why);
	n->active = false;
	net_rx_poll(n, false);
	virtio_dev_fail(&n->dev);
}

/* ---- rx ------------------------------------------------------------------------- */

/* The header fields the device owns, in the chain holding a frame's start. */
static void net_rx_hdr(struct net_dev *n, const struct vq_chain *c, uint16_t nbufs)
{
	uint16_t nb = htole16(nbufs);
	uint8_t zero = 0;

	/* Without mergeable buffers it is always 1 (5.1.6.3.1). */
	vq_buf_to_iov(c->in, c->nr_in, offsetof(struct net_hdr, num_buffers), &nb, sizeof(nb));
	/* The tap may mark checksums valid, which a driver without GUEST_CSUM must not
	 * be told (5.1.6.4: flags are 0 then). */
	if (!net_acked(n, VIRTIO_NET_F_GUEST_CSUM))
		vq_buf_to_iov(c->in, c->nr_in, offsetof(struct net_hdr, flags), &zero, 1);
}

/* The over bytes of a frame past its first buffer, now in the spill, into further
 * buffers: how many buffers the frame takes in all, or 0 when the guest has not
 * enough of them (then none stays taken). */
static unsigned net_rx_spread(struct net_dev *n, struct vq *q, size_t over)
{
	unsigned m = 1;
	size_t done = 0;

	while (done < over) {
		int r = m < NET_MRG_MAX ? vq_pop(q, &n->more) : 0;
		uint32_t w;

		if (r <= 0 || n->more.in_len == 0) {
			/* Those taken go back, the empty one too (a broken ring is
			 * found by the caller's next vq_pop). */
			for (unsigned i = r > 0 ? 0 : 1; i < m; i++)
				vq_unpop(q);
			return 0;
		}
		w = (uint32_t)MIN(n->more.in_len, over - done);
		vq_buf_to_iov(n->more.in, n->more.nr_in, 0, n->rx_spill + done, w);
		n->mrg_head[m] = n->more.head;
		n->mrg_len[m++] = w;
		done += w;
	}
	return m;
}

/* A frame of len bytes (header included) was read into c (and the spill): hands it
 * to the driver, or drops it and returns c empty. */
static void net_rx_deliver(struct net_dev *n, struct vq *q, const struct vq_chain *c, size_t len)
{
	unsigned m = 1;

	/* The spill is one byte longer than any frame may be: a read that filled it
	 * was cut short, whatever it returned. */
	if (len < NET_HDR_LEN + NET_ETH_HLEN ||
	    (len > c->in_len && len - c->in_len >= sizeof(n->rx_spill)))
		goto drop;
	if (len > c->in_len) {
		if (!net_acked(n, VIRTIO_NET_F_MRG_RXBUF))
			goto drop;
		m = net_rx_spread(n, q, len - c->in_len);
		if (!m)
			goto drop;
	}
	net_rx_hdr(n, c, (uint16_t)m);
	vq_push(q, c->head, (uint32_t)MIN(len, c->in_len));
	for (unsigned i = 1; i < m; i++)
		vq_push(q, n->mrg_head[i], n->mrg_len[i]);
	n->stats.rx_frames++;
	n->stats.rx_bytes += len - NET_HDR_LEN;
	return;
drop:
	n->stats.rx_dropped++;
	vq_push(q, c->head, 0);
}

/* Moves frames from the tap to the guest while both have some. */
static void net_rx_run(struct net_dev *n)
{
	struct vq *q = &n->dev.vqs[NET_QUEUE_RX];
	struct vq_chain *c = &n->chain;
	unsigned done = 0;
	ssize_t len;
	int r;

	while (n->active && done < NET_RX_BUDGET) {
		r = vq_pop(q, c);
		if (r < 0) {
			net_fail(n, "malformed rx queue");
			break;
		}
		if (r == 0) {
			/* No buffer: stop listening to the tap until the driver adds
			 * some (vq_pop has asked it to kick us then). */
			net_rx_poll(n, false);
			break;
		}
		if (c->in_len < NET_HDR_LEN + NET_ETH_HLEN) {
			/* Too small for any frame: returned without taking one. */
			vq_push(q, c->head, 0);
			done++;
			continue;
		}
		memcpy(n->rx_iov, c->in, c->nr_in * sizeof(c->in[0]));
		n->rx_iov[c->nr_in] = (struct iovec){ n->rx_spill, sizeof(n->rx_spill) };
		len = readv(n->fd, n->rx_iov, (int)c->nr_in + 1);
		if (len < 0) {
			vq_unpop(q);
			if (errno != EAGAIN && errno != EINTR)
				log_debug("net: tap read: %s", strerror(errno));
			break;
		}
		net_rx_deliver(n, q, c, (size_t)len);
		done++;
	}
	if (done)
		virtio_notify_used(&n->dev, NET_QUEUE_RX);
}

/* The driver added rx buffers: listen to the tap again, and take what waits. */
static void net_rx_refilled(struct net_dev *n)
{
	if (!n->active)
		return;
	net_rx_poll(n, true);
	net_rx_run(n);
}

/* ---- tx ------------------------------------------------------------------------- */

/* Offloads in a header must have been negotiated; the tap validates the values
 * (offsets, sizes) itself, as it does for any writer. */
static bool net_tx_hdr_ok(const struct net_dev *n, const struct net_hdr *h)
{
	if (h->flags & ~NET_HDR_F_NEEDS_CSUM)
		return false;
	if ((h->flags & NET_HDR_F_NEEDS_CSUM) && !net_acked(n, VIRTIO_NET_F_CSUM))
		return false;
	switch (h->gso_type) {
	case NET_GSO_NONE:
		return true;
	case NET_GSO_TCPV4:
		return net_acked(n, VIRTIO_NET_F_HOST_TSO4);
	case NET_GSO_TCPV6:
		return net_acked(n, VIRTIO_NET_F_HOST_TSO6);
	default:
		return false;
	}
}

/* The chain's out segments after the first skip bytes, into dst: their count. */
static unsigned net_iov_after(const struct iovec *src, unsigned n, size_t skip, struct iovec *dst)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		dst[out].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[out].iov_len = src[i].iov_len - skip;
		skip = 0;
		out++;
	}
	return out;
}

/* One frame to the tap; false when it was dropped. */
static bool net_tx_one(struct net_dev *n, const struct vq_chain *c)
{
	struct net_hdr h;
	unsigned nseg;
	ssize_t w;

	if (c->out_len < NET_HDR_LEN + NET_ETH_HLEN || c->out_len > NET_HDR_LEN + NET_FRAME_MAX)
		return false;
	vq_iov_to_buf(c->out, c->nr_out, 0, &h, sizeof(h));
	if (!net_tx_hdr_ok(n, &h))
		return false;
	h.num_buffers = 0;
	n->tx_iov[0] = (struct iovec){ .iov_base = &h, .iov_len = sizeof(h) };
	nseg = net_iov_after(c->out, c->nr_out, NET_HDR_LEN, n->tx_iov + 1);
	do
		w = writev(n->fd, n->tx_iov, (int)nseg + 1);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		/* Like a NIC whose link drops it: the guest's TCP will resend. */
		log_debug("net: tap write: %s", strerror(errno));
		return false;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += c->out_len - NET_HDR_LEN;
	return true;
}

/* Sends what the driver queued; one ring's worth per call keeps a busy guest from
 * starving the loop (the rest after a self-kick). */
static void net_tx_run(struct net_dev *n)
{
	struct vq *q = &n->dev.vqs[NET_QUEUE_TX];
	unsigned done = 0;
	int r;

	for (; n->active && done < q->num; done++) {
		r = vq_pop(q, &n->chain);
		if (r == 0)
			break;
		if (r < 0) {
			net_fail(n, "malformed tx queue");
			break;
		}
		if (!net_tx_one(n, &n->chain))
			n->stats.tx_dropped++;
		vq_push(q, n->chain.head, 0);
	}
	/* Stopped by the budget: go on after a loop turn. Always, even when the ring
	 * looks empty now: only a vq_pop that finds it empty asks the driver (EVENT_IDX)
	 * to kick again, and this run never had one. */
	if (n->active && done == q->num)
		net_kick_self(n);
	if (done)
		virtio_notify_used(&n->dev, NET_QUEUE_TX);
}

/* ---- the loop side -------------------------------------------------------------- */

static void net_set_offloads(struct net_dev *n, unsigned want)
{
	if (!n->tap || want == n->offloads)
		return;
	if (ioctl(n->fd, TUNSETOFFLOAD, want) < 0) {
		log_warn("net: TUNSETOFFLOAD %#x: %s", want, strerror(errno));
		return;
	}
	n->offloads = want;
}

/* Everything pending, on the loop thread with dev.lock held. */
static void net_work(struct net_dev *n)
{
	if (n->reset_pending) {
		n->reset_pending = false;
		if (!n->active)
			net_rx_poll(n, false);
	}
	if (!n->active)
		return;
	net_tx_run(n);
	net_rx_refilled(n);
}

static void net_enter(struct net_dev *n)
{
	pthread_mutex_lock(&n->dev.lock);
	n->loop_tid = pthread_self();
	n->tid_known = true;
}

static void net_kick_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct net_dev *n = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("net: kick read: %s", strerror(errno));
	net_enter(n);
	net_work(n);
	pthread_mutex_unlock(&n->dev.lock);
}

static void net_tap_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct net_dev *n = arg;

	net_enter(n);
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* The tap was deleted under us: the fd now polls as an error for
		 * ever, so it leaves the loop (writes fail and count as drops). */
		log_warn("net: the tap is gone; the guest's network is down");
		ev_del(loop, fd);
		n->fd_in_loop = n->rx_polling = false;
		pthread_mutex_unlock(&n->dev.lock);
		return;
	}
	if (n->reset_pending)
		net_work(n);
	if (n->active)
		net_rx_run(n);
	else
		net_rx_poll(n, false);
	pthread_mutex_unlock(&n->dev.lock);
}

/* ---- virtio ops (dev.lock held) ------------------------------------------------- */

static void net_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&net_of(d)->cfg + off, len);
}

static void net_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	/* Everything in it is read-only for a VERSION_1 driver. */
}

static int net_activate(struct virtio_dev *d)
{
	struct net_dev *n = net_of(d);
	unsigned off = 0;

	if (net_acked(n, VIRTIO_NET_F_GUEST_CSUM))
		off |= TUN_F_CSUM;
	if (off & TUN_F_CSUM && net_acked(n, VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (off & TUN_F_CSUM && net_acked(n, VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	net_set_offloads(n, off);
	n->active = true;
	net_kick_self(n);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	struct net_dev *n = net_of(d);

	n->active = false;
	net_set_offloads(n, 0);
	if (net_on_loop(n)) {
		net_rx_poll(n, false);
		return;
	}
	/* The loop's registrations are only touched on the loop thread. */
	n->reset_pending = true;
	net_kick_self(n);
}

static void net_notify(struct virtio_dev *d, unsigned q)
{
	struct net_dev *n = net_of(d);

	if (!net_on_loop(n)) {
		net_kick_self(n);
		return;
	}
	if (q == NET_QUEUE_TX)
		net_tx_run(n);
	else if (q == NET_QUEUE_RX)
		net_rx_refilled(n);
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.config_write = net_config_write,
	.activate = net_activate,
	.reset = net_reset,
	.notify = net_notify,
};

/* ---- creation ------------------------------------------------------------------- */

/* The tap must speak the header we pass through, without its own packet info. */
static int net_tap_check(int fd)
{
	const unsigned short need = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct ifreq ifr;
	int sz = NET_HDR_LEN;

	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0)
		return errno == EBADFD || errno == ENOTTY || errno == EINVAL ? -EINVAL : -errno;
	if ((ifr.ifr_flags & need) != need)
		return -EINVAL;
	if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0)
		return -errno;
	return 0;
}

static void net_dev_setup(struct net_dev *n, const struct guest_mem *mem, const struct net_cfg *cfg)
{
	struct virtio_dev *d = &n->dev;
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_EVENT_IDX) |
		     (1ull << VIRTIO_F_RING_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MAC);

	if (cfg->mtu)
		f |= 1ull << VIRTIO_NET_F_MTU;
	/* Checksums and segmentation both ways: the tap takes and gives them as they
	 * are. Segmented (64 KiB) frames to the guest need its big or mergeable
	 * buffers; mergeable ones also spare it 64 KiB per buffer. */
	if (!cfg->no_offload)
		f |= (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |
		     (1ull << VIRTIO_NET_F_HOST_TSO4) | (1ull << VIRTIO_NET_F_HOST_TSO6) |
		     (1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6) |
		     (1ull << VIRTIO_NET_F_MRG_RXBUF);
	d->ops = &net_ops;
	d->priv = n;
	d->name = "net";
	d->device_id = VIRTIO_ID_NET;
	d->host_features = f;
	d->config_len = sizeof(n->cfg);
	d->nr_queues = NET_NR_QUEUES;
	d->mem = mem;
	memcpy(n->cfg.mac, cfg->mac, NET_MAC_LEN);
	n->cfg.status = htole16(1); /* VIRTIO_NET_S_LINK_UP, for drivers that look */
	n->cfg.max_virtqueue_pairs = htole16(1);
	n->cfg.mtu = htole16(cfg->mtu);
}

static int net_fds(struct net_dev *n)
{
	int fl = fcntl(n->fd, F_GETFL);

	/* Inherited from the runtime as a plain fd: ours alone from now on, and never
	 * blocking the loop. */
	if (fl < 0 || fcntl(n->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(n->fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	n->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (n->kick_fd < 0)
		return -errno;
	/* In the loop from the start, but quiet until the driver is ready. */
	if (ev_add(n->loop, n->fd, 0, net_tap_cb, n))
		return -EINVAL;
	n->fd_in_loop = true;
	if (ev_add(n->loop, n->kick_fd, EPOLLIN, net_kick_cb, n))
		return -EINVAL;
	n->kick_in_loop = true;
	return 0;
}

int net_create(struct net_dev **out, struct ev_loop *loop, const struct guest_mem *mem,
	       const struct net_cfg *cfg)
{
	struct net_dev *n;
	int err;

	*out = NULL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		close(cfg->fd);
		return -ENOMEM;
	}
	n->fd = cfg->fd;
	n->kick_fd = -1;
	n->tap = cfg->tap;
	n->loop = loop;
	net_dev_setup(n, mem, cfg);
	err = cfg->tap ? net_tap_check(n->fd) : 0;
	if (!err)
		err = net_fds(n);
	if (err) {
		net_destroy(n);
		return err;
	}
	*out = n;
	return 0;
}

struct virtio_dev *net_dev(struct net_dev *n)
{
	return &n->dev;
}

void net_get_stats(struct net_dev *n, struct net_stats *st)
{
	pthread_mutex_lock(&n->dev.lock);
	*st = n->stats;
	pthread_mutex_unlock(&n->dev.lock);
}

void net_destroy(struct net_dev *n)
{
	if (!n)
		return;
	log_debug("net: rx %llu frames (%llu dropped), tx %llu frames (%llu dropped)",
		  (unsigned long long)n->stats.rx_frames, (unsigned long long)n->stats.rx_dropped,
		  (unsigned long long)n->stats.tx_frames, (unsigned long long)n->stats.tx_dropped);
	if (n->fd_in_loop)
		ev_del(n->loop, n->fd);
	if (n->kick_in_loop)
		ev_del(n->loop, n->kick_fd);
	if (n->fd >= 0)
		close(n->fd);
	if (n->kick_fd >= 0)
		close(n->kick_fd);
	free(n);
}

int net_tap_open(const char *name, int *fd)
{
	struct ifreq ifr;
	int t;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	t = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(t, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		close(t);
		return err;
	}
	*fd = t;
	return 0;
}
