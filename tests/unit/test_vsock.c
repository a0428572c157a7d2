/* Unit tests for virtio-vsock's protocol layer: header encoding and validation, the
 * CONNECT line, credit arithmetic, and every connection state transition, driven
 * directly through vsock_ctx_guest_pkt / vsock_ctx_next_rx / vsock_io_event with
 * real Unix sockets on the host side (the event loop is created, never run). */
#include "vmm/virtio/vsock_conn.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

#define GUEST 3

static struct ev_loop *loop;
static struct vsock_ctx ctx;
static char dir[48], uds[64];

static void dummy_cb(struct ev_loop *l, int fd, uint32_t ev, void *arg)
{
}

static void setup(void)
{
	vsock_ctx_reset(&ctx);
	vsock_ctx_init(&ctx, loop, dummy_cb, uds, GUEST);
}

/* Hands the context one guest packet whose chain holds `avail` payload bytes. */
static void guest_pkt_avail(uint16_t op, uint32_t gport, uint32_t hport, uint32_t flags,
			    const void *data, uint32_t len, uint32_t avail, uint32_t buf_alloc,
			    uint32_t fwd_cnt)
{
	struct vsock_hdr h = { .src_cid = GUEST, .dst_cid = VSOCK_HOST_CID, .src_port = gport,
			       .dst_port = hport, .len = len, .type = VSOCK_TYPE_STREAM,
			       .op = op, .flags = flags, .buf_alloc = buf_alloc,
			       .fwd_cnt = fwd_cnt };
	uint8_t raw[VSOCK_HDR_LEN];
	struct iovec iov[2] = { { raw, sizeof(raw) }, { (void *)data, avail } };

	vsock_hdr_encode(&h, raw);
	vsock_ctx_guest_pkt(&ctx, &h, iov, 2, VSOCK_HDR_LEN, avail);
}

static void guest_pkt(uint16_t op, uint32_t gport, uint32_t hport, uint32_t flags,
		      const void *data, uint32_t len)
{
	guest_pkt_avail(op, gport, hport, flags, data, len, len, VSOCK_BUF_ALLOC, 0);
}

static uint8_t rxbuf[VSOCK_HDR_LEN + 4096];

/* The next packet for the guest: its header in *h, payload in rxbuf+44; the op
 * (0 if nothing is owed). */
static int next_rx(struct vsock_hdr *h)
{
	struct iovec iov = { rxbuf, sizeof(rxbuf) };
	int n = vsock_ctx_next_rx(&ctx, &iov, 1, sizeof(rxbuf));

	memset(h, 0, sizeof(*h));
	if (n <= 0)
		return 0;
	vsock_hdr_decode(rxbuf, h);
	if (h->len + VSOCK_HDR_LEN != (uint32_t)n)
		return -1;
	return h->op;
}

static int listen_port(uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds, port);
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16))
		return -1;
	return fd;
}

static void test_header(void)
{
	struct vsock_hdr h = { 3, 2, 1234, 52, 100, 1, 5, 2, 4096, 77 }, d;
	uint8_t raw[VSOCK_HDR_LEN];

	vsock_hdr_encode(&h, raw);
	ok(raw[0] == 3 && raw[8] == 2 && raw[16] == 0xd2 && raw[17] == 0x04 && raw[20] == 52,
	   "header: cids and ports little-endian at their offsets");
	ok(raw[24] == 100 && raw[28] == 1 && raw[30] == 5 && raw[32] == 2 && raw[37] == 0x10 &&
		   raw[40] == 77,
	   "header: len, type, op, flags, buf_alloc, fwd_cnt at their offsets");
	vsock_hdr_decode(raw, &d);
	ok(d.src_cid == 3 && d.dst_cid == 2 && d.src_port == 1234 && d.dst_port == 52 &&
		   d.len == 100 && d.type == 1 && d.op == 5 && d.flags == 2 &&
		   d.buf_alloc == 4096 && d.fwd_cnt == 77,
	   "header: decode(encode(h)) == h");
}

static enum vsock_verdict check(uint64_t src, uint64_t dst, uint16_t type, uint16_t op,
				uint32_t len, uint32_t avail)
{
	struct vsock_hdr h = { .src_cid = src, .dst_cid = dst, .type = type, .op = op, .len = len };

	return vsock_hdr_check(&h, GUEST, avail, NULL);
}

static void test_check(void)
{
	is_int(check(3, 2, 1, VSOCK_OP_RW, 10, 10), VSOCK_PKT_OK, "check: good RW");
	is_int(check(3, 2, 1, VSOCK_OP_REQUEST, 0, 0), VSOCK_PKT_OK, "check: good REQUEST");
	is_int(check(4, 2, 1, VSOCK_OP_RW, 0, 0), VSOCK_PKT_DROP, "check: wrong src_cid dropped");
	is_int(check(3, 7, 1, VSOCK_OP_REQUEST, 0, 0), VSOCK_PKT_RST, "check: dst_cid not host: RST");
	is_int(check(3, 1, 1, VSOCK_OP_REQUEST, 0, 0), VSOCK_PKT_RST, "check: dst_cid 1: RST");
	is_int(check(3, 2, 2, VSOCK_OP_REQUEST, 0, 0), VSOCK_PKT_RST, "check: SEQPACKET type: RST");
	is_int(check(3, 2, 1, 0, 0, 0), VSOCK_PKT_RST, "check: op 0: RST");
	is_int(check(3, 2, 1, 8, 0, 0), VSOCK_PKT_RST, "check: op 8: RST");
	is_int(check(3, 2, 1, VSOCK_OP_RW, 11, 10), VSOCK_PKT_RST, "check: len past chain: RST");
	is_int(check(3, 2, 1, VSOCK_OP_RW, VSOCK_MAX_PAYLOAD + 1, 1u << 20), VSOCK_PKT_RST,
	       "check: len over 64 KiB: RST");
	is_int(check(3, 2, 1, VSOCK_OP_RW, VSOCK_MAX_PAYLOAD, VSOCK_MAX_PAYLOAD), VSOCK_PKT_OK,
	       "check: len of exactly 64 KiB is fine");
	is_int(check(3, 2, 1, VSOCK_OP_SHUTDOWN, 4, 4), VSOCK_PKT_RST,
	       "check: payload on a control packet: RST");
	is_int(check(3, 2, 9, VSOCK_OP_RST, 0, 0), VSOCK_PKT_DROP, "check: a bad RST is never answered");
	is_int(check(3, 9, 1, VSOCK_OP_RST, 0, 0), VSOCK_PKT_DROP, "check: RST to other cid dropped");
}

static int parse(const char *s, uint32_t *port)
{
	return vsock_parse_connect(s, strlen(s), port);
}

static void test_parse_connect(void)
{
	uint32_t p = 0;

	ok(parse("CONNECT 52", &p) == 0 && p == 52, "CONNECT 52");
	ok(parse("connect \t1234 \r", &p) == 0 && p == 1234, "lower case, blanks and CR");
	ok(parse("CONNECT 4294967295", &p) == 0 && p == 4294967295u, "largest port");
	is_int(parse("CONNECT 4294967296", &p), -EINVAL, "port over 32 bits refused");
	is_int(parse("CONNECT 00000000001", &p), -EINVAL, "more than 10 digits refused");
	is_int(parse("CONNECT", &p), -EINVAL, "no port refused");
	is_int(parse("CONNECT ", &p), -EINVAL, "blank port refused");
	is_int(parse("CONNECT 12a", &p), -EINVAL, "trailing junk refused");
	is_int(parse("CONNECT -1", &p), -EINVAL, "negative refused");
	is_int(parse("CONNECTX 1", &p), -EINVAL, "other word refused");
	is_int(parse("CONNECT1", &p), -EINVAL, "no blank refused");
	is_int(parse("", &p), -EINVAL, "empty line refused");
}

static void test_credit_math(void)
{
	struct iovec src[3] = { { rxbuf, 10 }, { rxbuf + 10, 20 }, { rxbuf + 30, 30 } }, dst[3];
	unsigned n;

	is_int(vsock_credit(1000, 0, 0), 1000, "credit: all of buf_alloc when nothing in flight");
	is_int(vsock_credit(1000, 100, 600), 500, "credit: buf_alloc - (tx_cnt - fwd_cnt)");
	is_int(vsock_credit(1000, 0xfffffff0u, 0x10), 968, "credit: counters wrap");
	is_int(vsock_credit(1000, 700, 600), 0, "credit: peer claiming too much gets 0");
	is_int(vsock_credit(100, 0, 600), 0, "credit: shrunk buffer gets 0");
	n = vsock_iov_slice(src, 3, 15, 20, dst);
	ok(n == 2 && dst[0].iov_base == rxbuf + 15 && dst[0].iov_len == 15 && dst[1].iov_len == 5,
	   "iov_slice: skip into the second segment, cap in the third");
	is_int(vsock_iov_slice(src, 3, 60, 5, dst), 0, "iov_slice: skip past the end");
}

/* A guest-initiated connection from guest port gport to the listener lfd. Returns
 * the accepted host-side fd. */
static int guest_connect(int lfd, uint32_t gport, uint32_t hport, uint32_t buf_alloc)
{
	struct vsock_hdr h;
	int fd;

	guest_pkt_avail(VSOCK_OP_REQUEST, gport, hport, 0, NULL, 0, 0, buf_alloc, 0);
	if (next_rx(&h) != VSOCK_OP_RESPONSE || h.dst_port != gport || h.src_port != hport)
		return -1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void test_guest_connect(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(5000), fd;

	setup();
	guest_pkt(VSOCK_OP_REQUEST, 40000, 5000, 0, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RESPONSE, "guest REQUEST to a listener: RESPONSE");
	ok(h.src_cid == 2 && h.dst_cid == GUEST && h.src_port == 5000 && h.dst_port == 40000 &&
		   h.type == 1 && h.buf_alloc == VSOCK_BUF_ALLOC && h.fwd_cnt == 0,
	   "RESPONSE addressing, type and credit");
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ok(fd >= 0, "the host listener got the connection");
	ok(vsock_ctx_lookup(&ctx, 5000, 40000) != NULL, "connection in the table");
	is_int(next_rx(&h), 0, "nothing else owed");

	guest_pkt(VSOCK_OP_REQUEST, 40001, 5001, 0, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "guest REQUEST to a port nobody listens on: RST");
	ok(h.src_port == 5001 && h.dst_port == 40001 && h.src_cid == 2, "RST addressing");
	ok(!vsock_ctx_lookup(&ctx, 5001, 40001), "no connection kept for a refusal");

	guest_pkt(VSOCK_OP_REQUEST, 40000, 5000, 0, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "duplicate REQUEST on a live connection: RST");
	ok(!vsock_ctx_lookup(&ctx, 5000, 40000), "and the connection is gone");
	char c;
	is_int(read(fd, &c, 1), 0, "host side sees EOF");
	close(fd);
	close(lfd);
}

static void test_unknown(void)
{
	struct vsock_hdr h;

	setup();
	guest_pkt(VSOCK_OP_RW, 1, 2, 0, "x", 1);
	is_int(next_rx(&h), VSOCK_OP_RST, "RW for an unknown connection: RST");
	guest_pkt(VSOCK_OP_SHUTDOWN, 1, 2, 3, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "SHUTDOWN for an unknown connection: RST");
	guest_pkt(VSOCK_OP_RST, 1, 2, 0, NULL, 0);
	is_int(next_rx(&h), 0, "RST for an unknown connection: nothing");
	guest_pkt(9, 1, 2, 0, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "unknown op: RST");
	guest_pkt_avail(VSOCK_OP_RW, 1, 2, 0, "abc", 3, 2, VSOCK_BUF_ALLOC, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "len past the chain: RST");

	struct vsock_hdr bad = { .src_cid = GUEST, .dst_cid = 9, .src_port = 7, .dst_port = 8,
				 .type = 1, .op = VSOCK_OP_REQUEST };
	vsock_ctx_guest_pkt(&ctx, &bad, NULL, 0, 0, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "REQUEST to another cid: RST");
	is_int(h.src_cid, 9, "that RST comes from the cid the guest addressed");

	bad.src_cid = 4;
	vsock_ctx_guest_pkt(&ctx, &bad, NULL, 0, 0, 0);
	is_int(next_rx(&h), 0, "wrong src_cid: dropped silently");

	for (int i = 0; i < VSOCK_ORPHAN_MAX + 50; i++)
		guest_pkt(VSOCK_OP_RW, 1, 2, 0, NULL, 0);
	int n = 0;
	while (next_rx(&h) == VSOCK_OP_RST)
		n++;
	is_int(n, VSOCK_ORPHAN_MAX, "owed RSTs are bounded");

	struct iovec iov = { rxbuf, 10 };
	guest_pkt(VSOCK_OP_RW, 1, 2, 0, NULL, 0);
	is_int(vsock_ctx_next_rx(&ctx, &iov, 1, 10), -EINVAL, "rx buffer smaller than a header");
	is_int(next_rx(&h), VSOCK_OP_RST, "and the RST waits for a real one");
}

/* Reads exactly n bytes from a non-blocking or blocking fd (polls in between). */
static bool read_n(int fd, void *buf, size_t n)
{
	size_t got = 0;

	for (int spins = 0; got < n && spins < 100000; spins++) {
		ssize_t r = read(fd, (char *)buf + got, n - got);

		if (r > 0)
			got += (size_t)r;
		else if (r == 0 || errno != EAGAIN)
			return false;
		else
			usleep(10);
	}
	return got == n;
}

static struct vsock_conn *conn(uint32_t hport, uint32_t gport)
{
	return vsock_ctx_lookup(&ctx, hport, gport);
}

static uint8_t big[4 * VSOCK_MAX_PAYLOAD], got[4 * VSOCK_MAX_PAYLOAD];

static void test_guest_to_host(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(6000), fd;
	char b[8];

	setup();
	fd = guest_connect(lfd, 100, 6000, VSOCK_BUF_ALLOC);
	guest_pkt(VSOCK_OP_RW, 100, 6000, 0, "hello", 5);
	ok(read_n(fd, b, 5) && memcmp(b, "hello", 5) == 0, "guest RW reaches the host socket");
	is_int(conn(6000, 100)->fwd_cnt, 5, "fwd_cnt counts bytes written to the socket");
	is_int(next_rx(&h), 0, "no CREDIT_UPDATE for a few bytes");
	guest_pkt(VSOCK_OP_RW, 100, 6000, 0, big, VSOCK_CREDIT_THRESHOLD - 5);
	ok(read_n(fd, got, VSOCK_CREDIT_THRESHOLD - 5), "host reads the rest");
	is_int(next_rx(&h), VSOCK_OP_CREDIT_UPDATE, "CREDIT_UPDATE once 64 KiB were consumed");
	is_int(h.fwd_cnt, VSOCK_CREDIT_THRESHOLD, "with the new fwd_cnt");
	is_int(next_rx(&h), 0, "and only one");
	guest_pkt(VSOCK_OP_CREDIT_REQUEST, 100, 6000, 0, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_CREDIT_UPDATE, "CREDIT_REQUEST answered with CREDIT_UPDATE");
	ok(h.buf_alloc == VSOCK_BUF_ALLOC && h.fwd_cnt == VSOCK_CREDIT_THRESHOLD,
	   "carrying buf_alloc and fwd_cnt");
	close(fd);
	close(lfd);
}

/* Guest data beyond what the socket takes is held, not lost, and fwd_cnt only
 * moves when it is really written. */
static void test_backpressure(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(6001), fd, small = 4096, n = 0;
	struct vsock_conn *c;
	bool intact;

	setup();
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	fd = guest_connect(lfd, 101, 6001, VSOCK_BUF_ALLOC);
	c = conn(6001, 101);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	for (int i = 0; i < 3; i++)
		guest_pkt(VSOCK_OP_RW, 101, 6001, 0, big + i * VSOCK_MAX_PAYLOAD, VSOCK_MAX_PAYLOAD);
	ok(conn(6001, 101) == c, "192 KiB within credit accepted while the socket is full");
	ok(c->buf_len > 0 && c->fwd_cnt + c->buf_len == 3 * VSOCK_MAX_PAYLOAD,
	   "unwritten bytes held in the buffer, fwd_cnt = bytes written");
	ok(c->fwd_cnt < VSOCK_CREDIT_THRESHOLD, "fwd_cnt did not run ahead of the socket");
	while (next_rx(&h) == VSOCK_OP_CREDIT_UPDATE)
		ok(h.fwd_cnt <= c->fwd_cnt, "no credit advertised for unwritten bytes");
	for (size_t off = 0; off < 3 * VSOCK_MAX_PAYLOAD && n < 100000; n++) {
		ssize_t r = read(fd, got + off, 3 * VSOCK_MAX_PAYLOAD - off);

		if (r > 0)
			off += (size_t)r;
		vsock_io_event(c, EPOLLOUT);
	}
	intact = memcmp(got, big, 3 * VSOCK_MAX_PAYLOAD) == 0;
	ok(intact && c->buf_len == 0, "buffer drained on EPOLLOUT, data intact and in order");
	is_int(c->fwd_cnt, 3 * VSOCK_MAX_PAYLOAD, "fwd_cnt caught up");
	is_int(next_rx(&h), VSOCK_OP_CREDIT_UPDATE, "credit update after the drain");
	is_int(h.fwd_cnt, 3 * VSOCK_MAX_PAYLOAD, "announcing all of it");

	for (int i = 0; i < 8 && conn(6001, 101); i++)
		guest_pkt(VSOCK_OP_RW, 101, 6001, 0, big, VSOCK_MAX_PAYLOAD);
	ok(!conn(6001, 101), "a guest that overruns its credit and our buffer is reset");
	is_int(next_rx(&h), VSOCK_OP_RST, "with an RST");
	close(fd);
	close(lfd);
}

static void test_host_to_guest(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(6002), fd, fd2;
	struct vsock_conn *c, *c2;

	setup();
	fd = guest_connect(lfd, 102, 6002, 100);
	c = conn(6002, 102);
	ok(write(fd, big, 300) == 300, "host writes 300 bytes");
	vsock_io_event(c, EPOLLIN);
	is_int(next_rx(&h), VSOCK_OP_RW, "host data goes to the guest as RW");
	ok(h.len == 100 && memcmp(rxbuf + VSOCK_HDR_LEN, big, 100) == 0,
	   "no more than the guest's credit (buf_alloc 100)");
	is_int(next_rx(&h), VSOCK_OP_CREDIT_REQUEST, "out of credit: CREDIT_REQUEST");
	is_int(next_rx(&h), 0, "then nothing until the guest gives credit");
	guest_pkt_avail(VSOCK_OP_CREDIT_UPDATE, 102, 6002, 0, NULL, 0, 0, 100, 60);
	is_int(next_rx(&h), VSOCK_OP_RW, "partial credit update: more data");
	ok(h.len == 60 && memcmp(rxbuf + VSOCK_HDR_LEN, big + 100, 60) == 0,
	   "exactly the 60 bytes freed");
	guest_pkt_avail(VSOCK_OP_RW, 102, 6002, 0, NULL, 0, 0, 1000, 160);
	is_int(next_rx(&h), VSOCK_OP_RW, "a bigger buf_alloc in any header is credit too");
	ok(h.len == 140 && memcmp(rxbuf + VSOCK_HDR_LEN, big + 160, 140) == 0, "rest of the data");
	is_int(c->tx_cnt, 300, "tx_cnt counts what the guest got");
	is_int(next_rx(&h), 0, "socket drained");

	fd2 = guest_connect(lfd, 103, 6002, VSOCK_BUF_ALLOC);
	c2 = conn(6002, 103);
	ok(write(fd, big, 8192) == 8192 && write(fd2, big, 8192) == 8192, "two busy connections");
	vsock_io_event(c, EPOLLIN);
	vsock_io_event(c2, EPOLLIN);
	guest_pkt_avail(VSOCK_OP_CREDIT_UPDATE, 102, 6002, 0, NULL, 0, 0, 1u << 20, 300);
	uint32_t p[4];
	for (int i = 0; i < 4; i++) {
		next_rx(&h);
		p[i] = h.dst_port;
	}
	ok(p[0] != p[1] && p[0] == p[2] && p[1] == p[3], "rx buffers shared round robin");
	close(fd);
	close(fd2);
	close(lfd);
}

static void test_guest_shutdown(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(6003), fd, small = 4096;
	char b[4];

	setup();
	fd = guest_connect(lfd, 104, 6003, VSOCK_BUF_ALLOC);
	guest_pkt(VSOCK_OP_SHUTDOWN, 104, 6003, VSOCK_SHUT_SEND, NULL, 0);
	is_int(read(fd, b, 1), 0, "guest SHUTDOWN SEND: host reads EOF");
	ok(write(fd, "x", 1) == 1, "host can still send");
	vsock_io_event(conn(6003, 104), EPOLLIN);
	ok(next_rx(&h) == VSOCK_OP_RW && h.len == 1, "and the guest still receives");
	guest_pkt(VSOCK_OP_RW, 104, 6003, 0, "y", 1);
	is_int(next_rx(&h), VSOCK_OP_RST, "RW after the guest's SHUTDOWN SEND: RST");
	ok(!conn(6003, 104), "connection gone");
	close(fd);

	fd = guest_connect(lfd, 105, 6003, VSOCK_BUF_ALLOC);
	guest_pkt(VSOCK_OP_SHUTDOWN, 105, 6003, VSOCK_SHUT_RCV, NULL, 0);
	ok(send(fd, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE,
	   "guest SHUTDOWN RCV: host writes fail with EPIPE");
	guest_pkt(VSOCK_OP_SHUTDOWN, 105, 6003, VSOCK_SHUT_SEND, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "both directions shut by the guest: RST");
	ok(!conn(6003, 105), "connection freed");
	is_int(read(fd, b, 1), 0, "host sees EOF");
	close(fd);

	fd = guest_connect(lfd, 106, 6003, VSOCK_BUF_ALLOC);
	setsockopt(conn(6003, 106)->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	guest_pkt(VSOCK_OP_RW, 106, 6003, 0, big, VSOCK_MAX_PAYLOAD);
	guest_pkt(VSOCK_OP_SHUTDOWN, 106, 6003, VSOCK_SHUT_BOTH, NULL, 0);
	ok(conn(6003, 106) != NULL, "full shutdown waits while data is still buffered");
	is_int(next_rx(&h), 0, "no RST yet");
	size_t off = 0;
	for (int n = 0; n < 100000 && conn(6003, 106); n++) {
		ssize_t r = read(fd, got + off, sizeof(got) - off);

		if (r > 0)
			off += (size_t)r;
		vsock_io_event(conn(6003, 106), EPOLLOUT);
	}
	while (off < sizeof(got)) {
		ssize_t r = read(fd, got + off, sizeof(got) - off);

		if (r <= 0)
			break;
		off += (size_t)r;
	}
	ok(off == VSOCK_MAX_PAYLOAD && !conn(6003, 106), "all data delivered, then closed");
	is_int(next_rx(&h), VSOCK_OP_RST, "and the RST goes to the guest");
	close(fd);
	close(lfd);
}

static void test_host_close(void)
{
	struct vsock_hdr h;
	int lfd = listen_port(6004), fd;
	char b[4];

	setup();
	fd = guest_connect(lfd, 107, 6004, VSOCK_BUF_ALLOC);
	shutdown(fd, SHUT_WR);
	vsock_io_event(conn(6004, 107), EPOLLIN | EPOLLRDHUP);
	is_int(next_rx(&h), VSOCK_OP_SHUTDOWN, "host EOF: SHUTDOWN");
	is_int(h.flags, VSOCK_SHUT_SEND, "with SEND only (half close)");
	guest_pkt(VSOCK_OP_RW, 107, 6004, 0, "abc", 3);
	ok(read_n(fd, b, 3) && memcmp(b, "abc", 3) == 0, "guest can still send");
	close(fd);
	vsock_io_event(conn(6004, 107), EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	is_int(next_rx(&h), VSOCK_OP_SHUTDOWN, "host close: SHUTDOWN again");
	is_int(h.flags, VSOCK_SHUT_BOTH, "now with both flags");
	is_int(conn(6004, 107)->state, VSOCK_ST_CLOSING, "waiting for the guest's RST");
	guest_pkt(VSOCK_OP_RST, 107, 6004, 0, NULL, 0);
	ok(!conn(6004, 107), "guest RST frees it");
	is_int(next_rx(&h), 0, "RST is not answered");

	fd = guest_connect(lfd, 108, 6004, VSOCK_BUF_ALLOC);
	ok(write(fd, "bye", 3) == 3, "host writes, then closes");
	close(fd);
	vsock_io_event(conn(6004, 108), EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	ok(next_rx(&h) == VSOCK_OP_RW && h.len == 3, "data first");
	ok(next_rx(&h) == VSOCK_OP_SHUTDOWN && h.flags == VSOCK_SHUT_BOTH, "then SHUTDOWN both");
	vsock_ctx_expire(&ctx, util_now_ns() + VSOCK_TIMEOUT_NS + 1);
	is_int(next_rx(&h), VSOCK_OP_RST, "guest that never answers: RST after the timeout");
	ok(!conn(6004, 108), "and the connection is gone");

	fd = guest_connect(lfd, 109, 6004, VSOCK_BUF_ALLOC);
	close(fd);
	vsock_io_event(conn(6004, 109), EPOLLIN | EPOLLRDHUP | EPOLLHUP);
	is_int(next_rx(&h), VSOCK_OP_SHUTDOWN, "host close");
	guest_pkt(VSOCK_OP_SHUTDOWN, 109, 6004, VSOCK_SHUT_BOTH, NULL, 0);
	is_int(next_rx(&h), VSOCK_OP_RST, "guest SHUTDOWN while closing: RST");
	ok(!conn(6004, 109), "connection gone");
	close(lfd);
}

/* A host client of the hybrid socket: our end non-blocking, the client's not. */
static struct vsock_conn *host_client(int *cfd)
{
	int sv[2];
	struct vsock_conn *c = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return NULL;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	*cfd = sv[1];
	if (vsock_ctx_host_accept(&ctx, sv[0], &c))
		return NULL;
	return c;
}

/* EOF, or ECONNRESET when we closed with the client's bytes unread: both are
 * what a refused client sees. Waits at most a second. */
static bool at_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b;
	ssize_t r;

	if (poll(&p, 1, 1000) != 1)
		return false;
	r = read(fd, &b, 1);
	return r == 0 || (r < 0 && errno == ECONNRESET);
}

static void test_host_connect(void)
{
	struct vsock_hdr h;
	struct vsock_conn *c;
	int cfd;
	char b[16] = { 0 };

	setup();
	c = host_client(&cfd);
	ok(c && c->state == VSOCK_ST_HANDSHAKE, "host client: handshake state");
	ok(write(cfd, "CONN", 4) == 4, "half a CONNECT line");
	vsock_io_event(c, EPOLLIN);
	ok(c->state == VSOCK_ST_HANDSHAKE && next_rx(&h) == 0, "waits for the rest");
	ok(write(cfd, "ECT 1234\nhello", 14) == 14, "rest of the line plus early data");
	vsock_io_event(c, EPOLLIN);
	is_int(c->state, VSOCK_ST_REQUEST, "CONNECT read: request state");
	is_int(next_rx(&h), VSOCK_OP_REQUEST, "REQUEST to the guest");
	ok(h.dst_port == 1234 && h.src_port == VSOCK_FIRST_HOST_PORT && h.dst_cid == GUEST,
	   "to guest port 1234 from the first ephemeral host port");
	guest_pkt(VSOCK_OP_RESPONSE, 1234, h.src_port, 0, NULL, 0);
	ok(read_n(cfd, b, 8) && memcmp(b, "OK 1024\n", 8) == 0, "RESPONSE: client reads OK 1024");
	is_int(c->state, VSOCK_ST_ESTABLISHED, "established");
	ok(next_rx(&h) == VSOCK_OP_RW && h.len == 5 && memcmp(rxbuf + 44, "hello", 5) == 0,
	   "data sent right after the CONNECT line reaches the guest");
	guest_pkt(VSOCK_OP_RW, 1234, 1024, 0, "world", 5);
	ok(read_n(cfd, b, 5) && memcmp(b, "world", 5) == 0, "guest data reaches the client");
	guest_pkt(VSOCK_OP_RST, 1234, 1024, 0, NULL, 0);
	ok(at_eof(cfd) && !conn(1024, 1234), "guest RST: client sees EOF");
	close(cfd);

	int c1, c2;
	struct vsock_conn *a = host_client(&c1), *bb = host_client(&c2);
	ok(write(c1, "CONNECT 99\n", 11) == 11 && write(c2, "connect 99\r\n", 12) == 12, "two clients");
	vsock_io_event(a, EPOLLIN);
	vsock_io_event(bb, EPOLLIN);
	ok(a->host_port != bb->host_port, "to one guest port from distinct host ports");
	next_rx(&h);
	next_rx(&h);
	guest_pkt(VSOCK_OP_RST, 99, a->host_port, 0, NULL, 0);
	ok(at_eof(c1), "guest RST to REQUEST (not listening): EOF without OK");
	close(cfd = c1);
	vsock_ctx_expire(&ctx, util_now_ns() + VSOCK_TIMEOUT_NS + 1);
	is_int(next_rx(&h), VSOCK_OP_RST, "guest never answers: RST after the timeout");
	ok(at_eof(c2), "and the client sees EOF");
	close(c2);
}

static void test_host_handshake_errors(void)
{
	struct vsock_hdr h;
	struct vsock_conn *c;
	int cfd;
	char line[100];

	setup();
	c = host_client(&cfd);
	ok(write(cfd, "HELLO 1\n", 8) == 8, "bad line");
	vsock_io_event(c, EPOLLIN);
	ok(at_eof(cfd) && ctx.nr_conns == 0, "bad CONNECT line: closed");
	close(cfd);

	c = host_client(&cfd);
	memset(line, '1', sizeof(line));
	memcpy(line, "CONNECT ", 8);
	ok(write(cfd, line, sizeof(line)) == sizeof(line), "endless line");
	vsock_io_event(c, EPOLLIN);
	ok(at_eof(cfd) && ctx.nr_conns == 0, "no newline within the limit: closed");
	close(cfd);

	c = host_client(&cfd);
	ok(write(cfd, "CONN", 4) == 4, "partial line, then EOF");
	shutdown(cfd, SHUT_WR);
	vsock_io_event(c, EPOLLIN | EPOLLRDHUP);
	ok(at_eof(cfd) && ctx.nr_conns == 0, "EOF inside the line: closed");
	close(cfd);

	c = host_client(&cfd);
	vsock_ctx_expire(&ctx, util_now_ns() + VSOCK_TIMEOUT_NS + 1);
	ok(at_eof(cfd) && ctx.nr_conns == 0, "silent client: closed after the timeout");
	close(cfd);

	c = host_client(&cfd);
	ok(write(cfd, "CONNECT 5\n", 10) == 10, "CONNECT, then the client leaves");
	vsock_io_event(c, EPOLLIN);
	close(cfd);
	vsock_io_event(c, EPOLLIN | EPOLLHUP);
	ok(ctx.nr_conns == 0 && next_rx(&h) == 0, "before the REQUEST went out: nothing to tell");
}

static void test_limits_and_reset(void)
{
	static int cfds[VSOCK_MAX_CONNS];
	struct vsock_hdr h;
	int lfd = listen_port(6005), fd, extra, n = 0;

	setup();
	fd = guest_connect(lfd, 110, 6005, VSOCK_BUF_ALLOC);
	for (int i = 1; i < VSOCK_MAX_CONNS; i++)
		n += host_client(&cfds[i]) != NULL;
	if (n != VSOCK_MAX_CONNS - 1) {
		skip("not enough fds for the connection cap test");
	} else {
		guest_pkt(VSOCK_OP_REQUEST, 111, 6005, 0, NULL, 0);
		is_int(next_rx(&h), VSOCK_OP_RST, "guest REQUEST beyond the cap: RST");
		ok(host_client(&extra) == NULL && at_eof(extra), "host client beyond the cap: EOF");
		close(extra);
	}
	vsock_ctx_reset(&ctx);
	is_int(ctx.nr_conns, 0, "reset drops every connection");
	ok(at_eof(fd) && at_eof(cfds[1]), "and the host sockets see EOF");
	is_int(next_rx(&h), 0, "nothing owed after a reset");
	for (int i = 1; i < VSOCK_MAX_CONNS; i++)
		if (cfds[i] > 0)
			close(cfds[i]);
	close(fd);
	close(lfd);
}

/* The host side of test_random: accepts, writes and closes at random. */
static unsigned random_host(int lfd, int *fds, unsigned *nfd, unsigned r)
{
	unsigned accepted = 0, k;
	int cfd;

	while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if (*nfd == 64)
			close(fds[--*nfd]);
		fds[(*nfd)++] = cfd;
		accepted++;
	}
	if (*nfd && r % 3 == 0)
		send(fds[r % *nfd], big, r % 5000, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (*nfd && r % 97 == 0) {
		k = r % *nfd;
		close(fds[k]);
		fds[k] = fds[--*nfd];
	}
	return accepted;
}

/* A hostile guest: random headers (ports and ops from small sets so they hit
 * live connections), random payload lengths and chain sizes, interleaved with
 * host traffic, rx buffers of random size and timeouts. Survival under ASan and
 * a consistent table are the checks. */
static void test_random(void)
{
	static const uint16_t ops[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xffff };
	int lfd = listen_port(7000), fds[64];
	unsigned seed = 12345, conns = 0, accepted = 0, peak = 0, nfd = 0;
	struct vsock_hdr h;

	setup();
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20000; i++) {
		unsigned r = (unsigned)rand_r(&seed);
		uint16_t op = ops[r % 10];
		uint32_t len = r % 7 == 0 ? (uint32_t)rand_r(&seed) : (uint32_t)rand_r(&seed) % 9000;
		uint32_t avail;

		if (op != VSOCK_OP_RW && r % 13)
			len = 0;
		avail = r % 5 == 0 ? len / 2 : MIN(len, (uint32_t)sizeof(big));
		struct vsock_hdr g = { .src_cid = r % 50 ? GUEST : 4, .dst_cid = r % 40 ? 2 : 1,
				       .src_port = 100 + (r >> 4) % 16, .dst_port = r % 3 ? 7000 : 7001,
				       .len = len, .type = r % 30 ? 1 : 2, .op = op,
				       .flags = (uint32_t)rand_r(&seed) % 4,
				       .buf_alloc = (uint32_t)rand_r(&seed) % (1u << 19),
				       .fwd_cnt = (uint32_t)rand_r(&seed) };
		uint8_t raw[VSOCK_HDR_LEN];
		struct iovec iov[2] = { { raw, sizeof(raw) }, { big, avail } };
		struct iovec rx = { rxbuf, VSOCK_HDR_LEN + (size_t)rand_r(&seed) % 4096 };

		vsock_hdr_encode(&g, raw);
		vsock_ctx_guest_pkt(&ctx, &g, iov, 2, VSOCK_HDR_LEN, avail);
		accepted += random_host(lfd, fds, &nfd, r);
		peak = MAX(peak, ctx.nr_conns);
		for (struct vsock_conn *c = ctx.all, *n; c; c = n) {
			n = c->next;
			vsock_io_event(c, r % 11 ? EPOLLIN | EPOLLOUT : EPOLLIN | EPOLLHUP);
		}
		vsock_ctx_next_rx(&ctx, &rx, 1, (uint32_t)rx.iov_len);
		if (r % 1000 == 0)
			vsock_ctx_expire(&ctx, util_now_ns() + (r % 2000 == 0) * VSOCK_TIMEOUT_NS * 2);
	}
	for (struct vsock_conn *c = ctx.all; c; c = c->next) {
		conns++;
		ok(c->buf_len <= VSOCK_BUF_ALLOC, "random: buffer within bounds");
	}
	is_int(conns, ctx.nr_conns, "random: connection count consistent");
	printf("# random: %u connections made, at most %u at once\n", accepted, peak);
	while (next_rx(&h) > 0)
		;
	vsock_ctx_reset(&ctx);
	ok(ctx.nr_conns == 0 && ctx.nr_deadlines == 0, "random: survived 20000 hostile packets");
	while (nfd)
		close(fds[--nfd]);
	close(lfd);
}

static void test_flows(void)
{
	test_guest_to_host();
	test_backpressure();
	test_host_to_guest();
	test_guest_shutdown();
	test_host_close();
	test_host_connect();
	test_host_handshake_errors();
	test_limits_and_reset();
	test_random();
}

int main(void)
{
	struct rlimit rl;

	snprintf(dir, sizeof(dir), "/tmp/vsock-test.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	loop = ev_create();
	/* The connection cap test needs a couple of thousand fds. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	test_header();
	test_check();
	test_parse_connect();
	test_credit_math();
	test_guest_connect();
	test_unknown();
	test_flows();
	vsock_ctx_reset(&ctx);
	ev_destroy(loop);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
