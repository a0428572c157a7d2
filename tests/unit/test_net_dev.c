/* The virtio-net device: the real device, transport, queues and event loop, driven by
 * a fake driver over fake guest memory (net_fake_guest.h), with two back-ends: a
 * SOCK_SEQPACKET socket pair (one message per frame, as a tap) and, as root, a real
 * tap in a private network namespace with a packet socket on it as the far side.
 * Checks: frames both ways intact in every chain layout, the header rules (num_buffers,
 * flags a driver without GUEST_CSUM must not see, offloads that were not negotiated),
 * hostile chains refused without harm, a malformed ring failing only the device, no
 * busy loop while the guest has no rx buffer, and frames too big for a buffer dropped. */
#include "vmm/virtio/net.h"
#include "tests/unit/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common/nl_route.h"
#include "tests/unit/net_fake_guest.h"

#define F(bit) (1ull << (bit))
#define ALL_OFFLOADS                                                                               \
	(F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_CSUM) |                        \
	 F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |      \
	 F(VIRTIO_F_RING_EVENT_IDX))

static const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0x58, 0x00, 0x05 };

static void frame(uint8_t *p, uint32_t len, uint32_t seed)
{
	memset(p, 0xff, 6); /* broadcast: a tap takes it as it is */
	memcpy(p + 6, mac, 6);
	p[12] = 0x88; /* an experimental ethertype: no stack on the way parses it */
	p[13] = 0xb5;
	for (uint32_t i = 14; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7);
}

/* ---- over a socket pair --------------------------------------------------------- */

static int world_pair(struct world *w, uint64_t want)
{
	struct net_cfg cfg = { .mtu = 1500 };
	int sv[2];

	memcpy(cfg.mac, mac, 6);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	cfg.fd = sv[0];
	w->host = sv[1];
	return world_up(w, &cfg, want);
}

/* The host sends header + frame; the guest must get both in one buffer. */
static bool host_send(struct world *w, uint8_t flags, uint32_t flen, uint32_t seed)
{
	static uint8_t buf[NET_HDR_LEN + 1514];

	memset(buf, 0, NET_HDR_LEN);
	buf[0] = flags;
	frame(buf + NET_HDR_LEN, flen, seed);
	return send(w->host, buf, NET_HDR_LEN + flen, 0) == (ssize_t)(NET_HDR_LEN + flen);
}

static bool guest_got(struct world *w, uint32_t flen, uint32_t seed, uint8_t want_flags)
{
	uint8_t want[1514];
	uint32_t id, len;
	const uint8_t *b;
	uint16_t nb;

	if (!fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len) || len != NET_HDR_LEN + flen)
		return false;
	b = w->ram + RXBUF(id % QN);
	frame(want, flen, seed);
	memcpy(&nb, b + 10, 2);
	return nb == 1 && b[0] == want_flags && !memcmp(b + NET_HDR_LEN, want, flen);
}

static void test_config_and_rx(struct world *w)
{
	uint8_t got[6];
	uint16_t mtu;
	unsigned good = 0;
	struct net_stats st;

	is_int(world_pair(w, ALL_OFFLOADS), 0, "device up, driver at DRIVER_OK");
	is_int(fg_rd(w->d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET, "device id 1");
	for (unsigned i = 0; i < 6; i++)
		virtio_mmio_read(w->d, VIRTIO_MMIO_CONFIG + i, &got[i], 1);
	virtio_mmio_read(w->d, VIRTIO_MMIO_CONFIG + 10, &mtu, 2);
	ok(!memcmp(got, mac, 6) && mtu == 1500, "config space: MAC and MTU");
	ok((w->g.features & ALL_OFFLOADS) == ALL_OFFLOADS, "MAC, MTU, checksum and TSO offered");

	fg_post_rx(&w->g, 64, RXBUF_LEN);
	for (uint32_t i = 0; i < 50; i++)
		host_send(w, i == 7 ? 2 /* DATA_VALID */ : 0, 60 + i * 29, i);
	for (uint32_t i = 0; i < 50; i++)
		good += guest_got(w, 60 + i * 29, i, i == 7 ? 2 : 0);
	is_int(good, 50, "50 frames host to guest, in order, intact, num_buffers 1");
	ok(w->g.irqs > 0, "the guest was interrupted");
	net_get_stats(w->n, &st);
	ok(st.rx_frames == 50 && st.rx_dropped == 0, "rx counted");
}

/* Sends a tx chain; the host must read exactly hdr + frame(seed) or nothing. */
static bool tx_layout(struct world *w, const uint32_t *cuts, unsigned ncuts, uint32_t flen,
		      uint32_t seed)
{
	uint8_t *area = w->ram + TXAREA, in[NET_HDR_LEN + 1514], want[1514];
	struct fg_seg s[16];
	uint32_t off = 0, id, len;
	uint16_t nb;
	ssize_t n;

	memset(area, 0, NET_HDR_LEN);
	area[10] = 0x77; /* num_buffers from the guest: must not reach the tap */
	frame(area + NET_HDR_LEN, flen, seed);
	for (unsigned i = 0; i <= ncuts; i++) {
		uint32_t end = i < ncuts ? cuts[i] : NET_HDR_LEN + flen;

		s[i] = (struct fg_seg){ TXAREA + off, end - off, false };
		off = end;
	}
	fg_chain(&w->g, NET_QUEUE_TX, s, ncuts + 1);
	fg_kick(&w->g, NET_QUEUE_TX);
	if (!fg_wait_used(&w->g, NET_QUEUE_TX, &id, &len))
		return false;
	n = recv(w->host, in, sizeof(in), MSG_DONTWAIT);
	frame(want, flen, seed);
	memcpy(&nb, in + 10, 2);
	return n == (ssize_t)(NET_HDR_LEN + flen) && nb == 0 && !memcmp(in + NET_HDR_LEN, want, flen);
}

static void test_tx_layouts(struct world *w)
{
	static const uint32_t one[] = { 0 }, hdr_apart[] = { NET_HDR_LEN },
			      split[] = { 5, NET_HDR_LEN, 20, 21, 100, 700 };

	ok(tx_layout(w, one, 0, 1000, 1), "tx: header and frame in one descriptor");
	ok(tx_layout(w, hdr_apart, 1, 60, 2), "tx: header in its own descriptor");
	ok(tx_layout(w, split, 6, 1514, 3), "tx: header and frame split over 7 descriptors");
}

/* A chain the device must refuse: returned used, nothing reaches the host. */
static bool tx_refused(struct world *w, uint8_t flags, uint8_t gso, uint32_t total)
{
	uint8_t *area = w->ram + TXAREA, junk[64];
	struct fg_seg s = { TXAREA, total, false };
	uint32_t id, len;

	memset(area, 0, NET_HDR_LEN);
	area[0] = flags;
	area[1] = gso;
	fg_chain(&w->g, NET_QUEUE_TX, &s, 1);
	fg_kick(&w->g, NET_QUEUE_TX);
	return fg_wait_used(&w->g, NET_QUEUE_TX, &id, &len) &&
	       recv(w->host, junk, sizeof(junk), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static void test_tx_refused(struct world *w)
{
	struct net_stats st;

	ok(tx_refused(w, 0, 0, 11), "tx: a chain shorter than the header is dropped");
	ok(tx_refused(w, 0, 0, NET_HDR_LEN + 13), "tx: a frame without an Ethernet header is dropped");
	ok(tx_refused(w, 0, 0, NET_HDR_LEN + NET_FRAME_MAX + 1), "tx: an oversized frame is dropped");
	ok(tx_refused(w, 2, 0, 200), "tx: DATA_VALID from the driver is refused");
	ok(tx_refused(w, 0, 3, 200), "tx: UDP segmentation (not offered) is refused");
	net_get_stats(w->n, &st);
	is_int(st.tx_dropped, 5, "tx: refusals counted");
	ok(tx_layout(w, (const uint32_t[]){ 0 }, 0, 300, 9), "tx: the device still sends after them");
}

/* A buffer too small for any frame comes back empty, and the frame waits for the
 * next buffer. */
static void test_rx_small_buffer(struct world *w)
{
	uint16_t small = w->g.q[NET_QUEUE_RX].next_desc % QN;
	uint32_t id, len;
	unsigned good = 0;

	/* 14 of the first 64 buffers are still posted: the small one comes after them. */
	fg_post_rx(&w->g, 1, 20);
	for (uint32_t i = 0; i < 14; i++)
		host_send(w, 0, 100, 100 + i);
	for (uint32_t i = 0; i < 14; i++)
		good += guest_got(w, 100, 100 + i, 0);
	is_int(good, 14, "rx: the posted buffers are filled first");
	host_send(w, 0, 100, 42);
	ok(fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len) && id == small && len == 0,
	   "rx: a 20-byte buffer is returned empty");
	fg_post_rx(&w->g, 1, RXBUF_LEN);
	ok(guest_got(w, 100, 42, 0), "rx: the frame arrives in the next buffer");
}

/* With no rx buffer the tap must leave the loop: frames wait, the CPU stays idle. */
static void test_rx_backpressure(struct world *w)
{
	struct timespec a, b, wait = { 0, 300 * 1000 * 1000 };
	unsigned good = 0;
	double cpu;

	for (uint32_t i = 0; i < 10; i++)
		host_send(w, 0, 200, 500 + i);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	nanosleep(&wait, NULL);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	cpu = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	ok(cpu < 0.05, "no rx buffers, frames pending: %.3f s of CPU in 0.3 s (no busy loop)", cpu);
	ok(fg_used_idx(&w->g, NET_QUEUE_RX) == w->g.q[NET_QUEUE_RX].last_used,
	   "nothing delivered without buffers");
	fg_post_rx(&w->g, 10, RXBUF_LEN);
	for (uint32_t i = 0; i < 10; i++)
		good += guest_got(w, 200, 500 + i, 0);
	is_int(good, 10, "buffers added: the waiting frames arrive");
}

/* Without GUEST_CSUM the flags reach the driver as 0; without HOST_TSO4 a TSO frame
 * is refused. */
static void test_no_offloads(struct world *w)
{
	is_int(world_pair(w, F(VIRTIO_NET_F_MAC)), 0, "a driver without offloads");
	fg_post_rx(&w->g, 4, RXBUF_LEN);
	host_send(w, 2, 100, 1);
	ok(guest_got(w, 100, 1, 0), "rx: DATA_VALID is not shown to a driver without GUEST_CSUM");
	ok(tx_refused(w, 1, 0, 200), "tx: NEEDS_CSUM without CSUM is refused");
	ok(tx_refused(w, 0, 1, 200), "tx: TSO without HOST_TSO4 is refused");
	world_down(w);
}

/* Broken rings fail the device (NEEDS_RESET), never the process; a reset recovers. */
static void test_hostile_rings(struct world *w)
{
	struct fg_seg out = { MEM_SIZE - 8, 64, false };
	uint32_t id, len;

	fg_chain(&w->g, NET_QUEUE_TX, &out, 1);
	fg_kick(&w->g, NET_QUEUE_TX);
	for (int i = 0; i < 5000 && !fg_needs_reset(&w->g); i++)
		usleep(1000);
	ok(fg_needs_reset(&w->g), "a tx buffer outside guest memory: NEEDS_RESET");
	ok(!fg_wait_used(&w->g, NET_QUEUE_TX, &id, &len), "the broken chain is not returned");
	fg_wr(w->d, VIRTIO_MMIO_STATUS, 0);
	is_int(fg_rd(w->d, VIRTIO_MMIO_STATUS), 0, "reset by the driver");
	world_down(w);

	is_int(world_pair(w, ALL_OFFLOADS), 0, "a new driver");
	/* A descriptor that points at itself. */
	fg_desc(&w->g, NET_QUEUE_RX, 0, RXBUF(0), 100, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 0);
	fg_publish(&w->g, NET_QUEUE_RX, 0);
	fg_kick(&w->g, NET_QUEUE_RX);
	host_send(w, 0, 100, 1);
	for (int i = 0; i < 5000 && !fg_needs_reset(&w->g); i++)
		usleep(1000);
	ok(fg_needs_reset(&w->g), "an rx chain looping on itself: NEEDS_RESET");
	world_down(w);
}

/* A full ring of tx chains in one kick: the device stops at its budget of one ring;
 * afterwards it must still have asked for the next kick (EVENT_IDX), or a driver that
 * kicks only when asked would wait for ever. */
static void test_tx_full_ring(struct world *w)
{
	uint8_t *area = w->ram + TXAREA, buf[128];
	uint16_t ev, idx;
	uint32_t id, len;
	unsigned used = 0, got = 0;
	bool kick;

	is_int(world_pair(w, ALL_OFFLOADS), 0, "a driver with EVENT_IDX");
	memset(area, 0, NET_HDR_LEN + 60);
	frame(area + NET_HDR_LEN, 60, 1);
	for (unsigned i = 0; i < QN; i++)
		fg_chain(&w->g, NET_QUEUE_TX, &(struct fg_seg){ TXAREA, NET_HDR_LEN + 60, false }, 1);
	fg_kick(&w->g, NET_QUEUE_TX);
	while (used < QN && fg_wait_used(&w->g, NET_QUEUE_TX, &id, &len))
		used++;
	while (recv(w->host, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		got++;
	ok(used == QN && got == QN, "a whole ring (%u chains) sent in one kick (%u used, %u frames)",
	   QN, used, got);
	usleep(100 * 1000);
	fg_chain(&w->g, NET_QUEUE_TX, &(struct fg_seg){ TXAREA, NET_HDR_LEN + 60, false }, 1);
	/* Linux's rule: kick only if avail_event is in (old, new]. */
	memcpy(&ev, w->ram + RING(NET_QUEUE_TX) + 0x2000 + 4 + 8 * QN, 2);
	idx = w->g.q[NET_QUEUE_TX].avail_idx;
	kick = (uint16_t)(idx - ev - 1) < (uint16_t)(idx - (uint16_t)(idx - 1));
	if (kick)
		fg_kick(&w->g, NET_QUEUE_TX);
	ok(kick, "the device asked for the next kick (avail_event %u, avail idx %u)", ev, idx);
	ok(fg_wait_used(&w->g, NET_QUEUE_TX, &id, &len), "and the next chain is sent");
	world_down(w);
}

/* The longest frame there may be (a 64 KiB TSO frame with Ethernet and VLAN
 * headers) arrives whole; one byte more is dropped, never passed on cut short. */
static void test_rx_limits(struct world *w)
{
	static uint8_t big[NET_HDR_LEN + NET_FRAME_MAX + 1];
	struct net_stats st;
	uint32_t id, len, total = 0;
	unsigned k = 0;

	memset(big, 0, NET_HDR_LEN);
	frame(big + NET_HDR_LEN, NET_FRAME_MAX + 1, 9);
	fg_post_rx(&w->g, 50, RXBUF_LEN);
	send(w->host, big, NET_HDR_LEN + NET_FRAME_MAX, 0);
	while (total < NET_HDR_LEN + NET_FRAME_MAX && fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len)) {
		total += len;
		k++;
	}
	ok(total == NET_HDR_LEN + NET_FRAME_MAX && k == 43, "the longest frame: %u bytes in %u buffers",
	   total, k);
	net_get_stats(w->n, &st);
	send(w->host, big, sizeof(big), 0);
	ok(fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len) && len == 0, "one byte longer: dropped");
	host_send(w, 0, 100, 3);
	ok(guest_got(w, 100, 3, 0), "and the next frame arrives");
}

/* Mergeable rx buffers: a frame longer than one buffer is spread over as many as it
 * needs, num_buffers says how many; with too few it is dropped and nothing else is
 * lost. */
static void test_rx_merged(struct world *w)
{
	static uint8_t big[NET_HDR_LEN + 9000], got[9000];
	uint32_t id, len, total = 0, ids[8], lens[8];
	unsigned nb = 0, k = 0;
	uint16_t num = 0;

	is_int(world_pair(w, ALL_OFFLOADS | F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_TSO4)),
	       0, "a driver with mergeable rx buffers and TSO to it");
	ok(w->g.features & F(VIRTIO_NET_F_MRG_RXBUF) && w->g.features & F(VIRTIO_NET_F_GUEST_TSO4),
	   "both offered");
	fg_post_rx(&w->g, 8, RXBUF_LEN);
	memset(big, 0, NET_HDR_LEN);
	frame(big + NET_HDR_LEN, 9000, 77);
	send(w->host, big, sizeof(big), 0);
	while (total < sizeof(big) && k < 8 && fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len)) {
		ids[k] = id;
		lens[k++] = len;
		total += len;
	}
	memcpy(&num, w->ram + RXBUF(ids[0] % QN) + 10, 2);
	for (unsigned i = 0; i < k; i++) {
		uint32_t skip = i ? 0 : NET_HDR_LEN, n = lens[i] - skip;

		memcpy(got + nb, w->ram + RXBUF(ids[i] % QN) + skip, n);
		nb += n;
	}
	ok(k == 6 && num == 6 && total == sizeof(big) && lens[0] == RXBUF_LEN,
	   "a 9000-byte frame in 6 buffers, num_buffers 6 (got %u buffers, num_buffers %u, %u bytes)",
	   k, num, total);
	ok(nb == 9000 && !memcmp(got, big + NET_HDR_LEN, 9000), "its bytes in order across them");

	host_send(w, 0, 100, 5);
	ok(guest_got(w, 100, 5, 0), "a small frame after it: one buffer, num_buffers 1");
	/* One buffer left: not enough for the next big frame. */
	send(w->host, big, sizeof(big), 0);
	ok(fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len) && len == 0,
	   "too few buffers for a big frame: dropped, its first buffer returned empty");
	fg_post_rx(&w->g, 1, RXBUF_LEN);
	host_send(w, 0, 200, 6);
	ok(guest_got(w, 200, 6, 0), "nothing else lost: the next frame arrives");
	test_rx_limits(w);
	world_down(w);
}

/* ---- over a real tap ------------------------------------------------------------ */

static int tap_world(struct world *w, int *ifindex)
{
	struct net_cfg cfg = { .tap = true, .mtu = 1500 };
	struct nl_link_change up = { .up = true, .no_ipv6_ll = true };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	struct nl_sock s;
	int ret, fd;

	memcpy(cfg.mac, mac, 6);
	if (net_tap_open("rvtest0", &cfg.fd))
		return -1;
	*ifindex = (int)if_nametoindex("rvtest0");
	/* Without IPv6 the tap's own stack sends nothing (MLD reports otherwise). */
	fd = open("/proc/sys/net/ipv6/conf/rvtest0/disable_ipv6", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	if (nl_open(&s))
		return -1;
	ret = nl_link_change(&s, *ifindex, &up);
	nl_close(&s);
	sll.sll_ifindex = *ifindex;
	w->host = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (ret || w->host < 0 || bind(w->host, (struct sockaddr *)&sll, sizeof(sll)))
		return -1;
	return world_up(w, &cfg, ALL_OFFLOADS);
}

static bool tap_send(struct world *w, int ifindex, uint32_t flen, uint32_t seed)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
	uint8_t buf[1514];

	frame(buf, flen, seed);
	memset(to.sll_addr, 0xff, 6);
	return sendto(w->host, buf, flen, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)flen;
}

/* What the tap received from the device, skipping what the stack sends itself. */
static ssize_t tap_recv(struct world *w, uint8_t *buf, size_t size)
{
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	struct pollfd p = { .fd = w->host, .events = POLLIN };

	while (poll(&p, 1, 5000) == 1) {
		ssize_t n = recvfrom(w->host, buf, size, 0, (struct sockaddr *)&from, &fl);

		if (n < 0 || from.sll_pkttype != PACKET_OUTGOING)
			return n;
	}
	return -1;
}

static void test_tap_refused(void)
{
	struct ev_loop *loop = ev_create();
	struct net_cfg bad = { .tap = true };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	struct guest_mem mem;
	struct net_dev *n;
	uint8_t ram[4096];
	int t;

	mem_init_fake(&mem, ram, sizeof(ram));
	bad.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	is_int(net_create(&n, loop, &mem, &bad), -EINVAL, "tap: a socket is not a tap");
	t = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "rvtest1");
	ok(t >= 0 && ioctl(t, TUNSETIFF, &ifr) == 0, "tap: one without IFF_VNET_HDR");
	bad.fd = t;
	is_int(net_create(&n, loop, &mem, &bad), -EINVAL, "tap: refused without IFF_VNET_HDR");
	ev_destroy(loop);
}

static void test_tap(struct world *w)
{
	uint8_t in[2048], want[1514];
	struct net_stats st;
	uint32_t id, len;
	uint16_t small;
	int ifindex = 0;

	is_int(tap_world(w, &ifindex), 0, "tap: device up on a real tap");
	fg_post_rx(&w->g, 1, RXBUF_LEN);
	ok(tap_send(w, ifindex, 1000, 11), "tap: a frame sent into the tap");
	ok(guest_got(w, 1000, 11, 0), "tap: the guest got it with a 12-byte header");

	frame(want, 700, 12);
	memset(w->ram + TXAREA, 0, NET_HDR_LEN);
	memcpy(w->ram + TXAREA + NET_HDR_LEN, want, 700);
	fg_chain(&w->g, NET_QUEUE_TX, &(struct fg_seg){ TXAREA, NET_HDR_LEN + 700, false }, 1);
	fg_kick(&w->g, NET_QUEUE_TX);
	ok(tap_recv(w, in, sizeof(in)) == 700 && !memcmp(in, want, 700),
	   "tap: a guest frame came out of the tap intact");

	small = w->g.q[NET_QUEUE_RX].next_desc % QN;
	fg_post_rx(&w->g, 1, NET_HDR_LEN + 100);
	tap_send(w, ifindex, 600, 13);
	ok(fg_wait_used(&w->g, NET_QUEUE_RX, &id, &len) && id == small && len == 0,
	   "tap: a frame longer than the buffer is dropped, the buffer returned empty");
	net_get_stats(w->n, &st);
	is_int(st.rx_dropped, 1, "tap: the drop is counted");
	fg_post_rx(&w->g, 1, RXBUF_LEN);
	tap_send(w, ifindex, 300, 14);
	ok(guest_got(w, 300, 14, 0), "tap: the next frame arrives whole");
	world_down(w);
}

int main(void)
{
	static struct world w = { .host = -1 };
	bool tap_ok;

	w.ram = aligned_alloc(4096, MEM_SIZE);
	test_config_and_rx(&w);
	test_tx_layouts(&w);
	test_tx_refused(&w);
	test_rx_small_buffer(&w);
	test_rx_backpressure(&w);
	test_hostile_rings(&w);
	test_no_offloads(&w);
	test_rx_merged(&w);
	test_tx_full_ring(&w);
	tap_ok = geteuid() == 0 && access("/dev/net/tun", R_OK | W_OK) == 0 &&
		 unshare(CLONE_NEWNET) == 0;
	if (tap_ok) {
		test_tap_refused();
		test_tap(&w);
	} else {
		skip("a real tap needs root, /dev/net/tun and a private network namespace");
	}
	free(w.ram);
	return tap_done();
}
