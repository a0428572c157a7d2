/* vhost-user front-end: message encoding (headers, payloads, fds) and the session
 * state machine, against a scripted fake back-end on a socketpair, including
 * back-ends that answer garbage, refuse, stall, or close early. */
#include "vmm/vhost_user.h"
#include "tests/unit/tap.h"
#include "tests/unit/fake_vhu_backend.h"

#include <dirent.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include "vmm/mem.h"

#define F_V1 (1ull << 32)
#define F_PROTO (1ull << VHU_F_PROTOCOL_FEATURES)
#define F_EVIDX (1ull << 29)
#define P_ACK (1ull << VHU_PROTOCOL_F_REPLY_ACK)
#define P_MQ (1ull << VHU_PROTOCOL_F_MQ)
#define P_CONFIG (1ull << 9)

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* A session past the handshake with REPLY_ACK and MQ agreed and features set. */
static void ready_session(struct vhu *u, int *be)
{
	int fe;

	fake_pair(&fe, be);
	vhu_init(u, fe);
	u->timeout_ms = 200;
	fake_handshake_replies(*be, F_V1 | F_PROTO | F_EVIDX, P_ACK | P_MQ, 2);
	vhu_handshake(u, P_ACK | P_MQ);
	vhu_set_features(u, F_V1);
	fake_skip(*be, 6);
}

static void test_handshake(void)
{
	struct vhu u;
	struct fake_msg m;
	int fe, be;

	fake_pair(&fe, &be);
	vhu_init(&u, fe);
	fake_handshake_replies(be, F_V1 | F_PROTO | F_EVIDX, P_ACK | P_MQ | P_CONFIG, 2);
	is_int(vhu_handshake(&u, P_ACK | P_MQ), 0, "handshake with protocol features");
	is_int(u.state, VHU_READY, "session is READY");
	ok(u.features == (F_V1 | F_PROTO | F_EVIDX), "back-end features kept");
	ok(u.protocol == (P_ACK | P_MQ), "only the wanted protocol features are agreed");
	is_int(u.max_queues, 2, "GET_QUEUE_NUM read");
	ok(!u.acks, "no NEED_REPLY before SET_FEATURES");

	fake_read(be, &m);
	ok(m.h.request == VHU_GET_FEATURES && m.h.flags == VHU_VERSION && m.h.size == 0,
	   "1: GET_FEATURES, version 1, no payload");
	fake_read(be, &m);
	ok(m.h.request == VHU_GET_PROTOCOL_FEATURES && m.h.size == 0, "2: GET_PROTOCOL_FEATURES");
	fake_read(be, &m);
	ok(m.h.request == VHU_SET_PROTOCOL_FEATURES && m.h.size == 8 && fake_u64(&m) == (P_ACK | P_MQ) &&
		   m.h.flags == VHU_VERSION,
	   "3: SET_PROTOCOL_FEATURES with the agreed set, no NEED_REPLY");
	fake_read(be, &m);
	ok(m.h.request == VHU_SET_OWNER && m.h.size == 0, "4: SET_OWNER");
	fake_read(be, &m);
	ok(m.h.request == VHU_GET_QUEUE_NUM, "5: GET_QUEUE_NUM");
	ok(fake_quiet(be), "nothing else sent");
	is_int(vhu_handshake(&u, 0), -EINVAL, "a second handshake is refused");

	is_int(vhu_set_features(&u, F_V1 | F_EVIDX), 0, "SET_FEATURES");
	fake_read(be, &m);
	ok(m.h.request == VHU_SET_FEATURES && fake_u64(&m) == (F_V1 | F_EVIDX | F_PROTO) &&
		   !(m.h.flags & VHU_FLAG_NEED_REPLY),
	   "SET_FEATURES carries PROTOCOL_FEATURES too");
	ok(u.acks, "acks in use from now on");
	vhu_fini(&u);
	close(be);
}

static void test_no_protocol_features(void)
{
	struct vhu u;
	struct fake_msg m;
	int fe, be, kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC);
	struct vhu_vring r = { .index = 1, .num = 128, .desc = 0x1000, .avail = 0x2000,
			       .used = 0x3000, .kick_fd = kick, .call_fd = call };
	unsigned n = 0;

	fake_pair(&fe, &be);
	vhu_init(&u, fe);
	fake_handshake_replies(be, F_V1, 0, 0);
	is_int(vhu_handshake(&u, P_ACK | P_MQ), 0, "handshake without protocol features");
	ok(u.protocol == 0 && u.max_queues == 0, "nothing agreed");
	is_int(fake_skip(be, 10), 2, "only GET_FEATURES and SET_OWNER sent");
	is_int(vhu_set_features(&u, F_V1), 0, "SET_FEATURES");
	fake_read(be, &m);
	ok(fake_u64(&m) == F_V1, "no PROTOCOL_FEATURES bit when the back-end lacks it");
	is_int(vhu_start_vring(&u, &r), 0, "ring started with no acks to wait for");
	while (fake_read(be, &m) == 0) {
		n++;
		ok(!(m.h.flags & VHU_FLAG_NEED_REPLY), "%s: no NEED_REPLY", vhu_req_name(m.h.request));
		ok(m.h.request != VHU_SET_VRING_ENABLE, "no SET_VRING_ENABLE without protocol features");
		fake_close_fds(&m);
	}
	is_int(n, 5, "NUM, BASE, ADDR, CALL, KICK");
	vhu_fini(&u);
	close(be);
	close(kick);
	close(call);
}

static void test_mem_table(void)
{
	struct guest_mem mem;
	struct vhu_mem_table t;
	struct fake_msg m;
	struct vhu_region reg;
	struct stat a, b;
	struct vhu u;
	int be;

	if (mem_init(&mem, 2 << 20)) {
		skip("memfd guest memory unavailable");
		return;
	}
	is_int(vhu_mem_table(&mem, &t), 0, "table for one region");
	ok(t.nregions == 1 && t.r[0].gpa == 0 && t.r[0].size == (2u << 20) &&
		   t.r[0].uaddr == (uint64_t)(uintptr_t)mem.base && t.r[0].mmap_offset == 0,
	   "region: gpa 0, size, our address, offset 0");

	struct guest_mem two = mem;

	two.nr = 2;
	two.r[1] = (struct mem_region){ .gpa = MEM_HOLE_END, .size = 4096,
					.host = mem.base + 8192, .offset = 8192 };
	vhu_mem_table(&two, &t);
	ok(t.nregions == 2 && t.r[1].gpa == MEM_HOLE_END && t.r[1].mmap_offset == 8192 &&
		   t.r[1].uaddr == (uint64_t)(uintptr_t)(mem.base + 8192),
	   "above-4G region keeps its memfd offset");
	two.fd = -1;
	is_int(vhu_mem_table(&two, &t), -EINVAL, "fake (non-memfd) memory is refused");

	ready_session(&u, &be);
	fake_ack(be, VHU_SET_MEM_TABLE);
	is_int(vhu_set_mem_table(&u, &mem), 0, "SET_MEM_TABLE acked");
	fake_read(be, &m);
	ok(m.h.request == VHU_SET_MEM_TABLE && (m.h.flags & VHU_FLAG_NEED_REPLY) && m.h.size == 8 + 32,
	   "NEED_REPLY set, payload 8 + 32 bytes");
	memcpy(&reg, m.p + 8, sizeof(reg));
	ok(m.p[0] == 1 && reg.size == (2u << 20) && reg.uaddr == (uint64_t)(uintptr_t)mem.base,
	   "region encoded after nregions and padding");
	is_int(m.nfds, 1, "one fd per region");
	ok(m.nfds == 1 && fstat(m.fds[0], &a) == 0 && fstat(mem.fd, &b) == 0 && a.st_ino == b.st_ino,
	   "the fd is the guest RAM memfd");
	fake_close_fds(&m);

	fake_reply_u64(be, VHU_SET_MEM_TABLE, 1);
	is_int(vhu_set_mem_table(&u, &mem), -EIO, "a refusal (ack 1) is -EIO");
	ok(u.state != VHU_BROKEN, "a refusal does not break the session");
	fake_skip(be, 1);
	vhu_fini(&u);
	close(be);
	mem_fini(&mem);
}

/* What starting a ring sends, in order, with protocol features. */
static const uint32_t order[] = { VHU_SET_VRING_NUM,  VHU_SET_VRING_BASE, VHU_SET_VRING_ADDR,
				  VHU_SET_VRING_CALL, VHU_SET_VRING_KICK, VHU_SET_VRING_ENABLE };

static void test_vring(void)
{
	int kick = eventfd(0, EFD_CLOEXEC), call = eventfd(0, EFD_CLOEXEC), be;
	struct vhu_vring r = { .index = 1, .num = 256, .base = 3, .desc = 0x10000,
			       .avail = 0x20000, .used = 0x30000, .kick_fd = kick, .call_fd = call };
	struct vhu_vring_state st;
	struct vhu_vring_addr a;
	struct fake_msg m[6];
	struct vhu u;
	uint16_t base = 0;
	uint64_t one = 1, got = 0;

	ready_session(&u, &be);
	is_int(vhu_start_vring(&u, &r), -ETIMEDOUT, "no ack from the back-end: timeout");
	is_int(u.state, VHU_BROKEN, "a timeout breaks the session");
	vhu_fini(&u);
	close(be);

	ready_session(&u, &be);
	for (unsigned i = 0; i < 6; i++)
		fake_ack(be, order[i]);
	is_int(vhu_start_vring(&u, &r), 0, "ring started");
	ok(u.state == VHU_RUNNING && u.running == 2, "RUNNING, ring 1 marked");
	for (unsigned i = 0; i < 6; i++) {
		fake_read(be, &m[i]);
		ok(m[i].h.request == order[i] && (m[i].h.flags & VHU_FLAG_NEED_REPLY),
		   "message %u is %s with NEED_REPLY", i + 1, vhu_req_name(order[i]));
	}
	memcpy(&st, m[0].p, sizeof(st));
	ok(m[0].h.size == 8 && st.index == 1 && st.num == 256, "NUM: index 1, 256");
	memcpy(&st, m[1].p, sizeof(st));
	ok(st.index == 1 && st.num == 3, "BASE: index 1, 3");
	memcpy(&a, m[2].p, sizeof(a));
	ok(m[2].h.size == 40 && a.index == 1 && a.flags == 0 && a.desc == 0x10000 &&
		   a.used == 0x30000 && a.avail == 0x20000 && a.log == 0,
	   "ADDR: index, desc, used, avail in that order");
	ok(m[3].nfds == 1 && fake_u64(&m[3]) == 1, "CALL: index 1 with an fd");
	ok(m[4].nfds == 1 && fake_u64(&m[4]) == 1, "KICK: index 1 with an fd");
	memcpy(&st, m[5].p, sizeof(st));
	ok(st.index == 1 && st.num == 1, "ENABLE: index 1, on");
	ok(m[4].nfds == 1 && write(kick, &one, 8) == 8 && read(m[4].fds[0], &got, 8) == 8 && got == 1,
	   "the kick fd sent is the one given");
	for (unsigned i = 0; i < 6; i++)
		fake_close_fds(&m[i]);

	is_int(vhu_stop_vring(&u, 0, NULL), -EINVAL, "stopping a ring that is not running: -EINVAL");
	fake_ack(be, VHU_SET_VRING_ENABLE);
	st = (struct vhu_vring_state){ .index = 1, .num = 77 };
	fake_reply(be, VHU_GET_VRING_BASE, &st, sizeof(st));
	is_int(vhu_stop_vring(&u, 1, &base), 0, "ring stopped");
	is_int(base, 77, "GET_VRING_BASE reply read");
	is_int(u.state, VHU_READY, "back to READY with no ring running");
	fake_read(be, &m[0]);
	memcpy(&st, m[0].p, sizeof(st));
	ok(m[0].h.request == VHU_SET_VRING_ENABLE && st.num == 0, "disabled first");
	fake_read(be, &m[0]);
	ok(m[0].h.request == VHU_GET_VRING_BASE && !(m[0].h.flags & VHU_FLAG_NEED_REPLY),
	   "then GET_VRING_BASE (it has a reply of its own)");

	r.index = 2;
	is_int(vhu_start_vring(&u, &r), -EINVAL, "ring index beyond GET_QUEUE_NUM refused");
	vhu_fini(&u);
	close(be);
	close(kick);
	close(call);
}

enum { STAY, HANG_UP, GONE }; /* after `bad`: keep the socket, EOF, fully closed */

/* Handshakes against a back-end whose first reply is `bad`; returns the result. */
static int bad_first_reply(const void *bad, size_t len, int then, struct vhu *u)
{
	int fe, be, ret;

	fake_pair(&fe, &be);
	vhu_init(u, fe);
	u->timeout_ms = 200;
	if (len)
		(void)!write(be, bad, len);
	if (then == HANG_UP)
		shutdown(be, SHUT_WR);
	if (then == GONE)
		close(be);
	ret = vhu_handshake(u, P_ACK);
	if (then != GONE)
		close(be);
	return ret;
}

static void test_bad_backends(void)
{
	struct vhu_hdr wrong_req = { VHU_GET_PROTOCOL_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8 };
	struct vhu_hdr no_reply = { VHU_GET_FEATURES, VHU_VERSION, 8 };
	struct vhu_hdr bad_ver = { VHU_GET_FEATURES, 2 | VHU_FLAG_REPLY, 8 };
	struct vhu_hdr bad_size = { VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 4096 };
	uint8_t garbage[64];
	struct vhu u;

	for (unsigned i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 37 + 11);
	is_int(bad_first_reply(&wrong_req, sizeof(wrong_req), STAY, &u), -EPROTO,
	       "reply to another request: -EPROTO");
	is_int(u.state, VHU_BROKEN, "the session is broken");
	is_int(vhu_set_features(&u, F_V1), -ENOTCONN, "later requests: -ENOTCONN");
	vhu_fini(&u);
	is_int(bad_first_reply(&no_reply, sizeof(no_reply), STAY, &u), -EPROTO,
	       "reply without the REPLY flag: -EPROTO");
	vhu_fini(&u);
	is_int(bad_first_reply(&bad_ver, sizeof(bad_ver), STAY, &u), -EPROTO,
	       "wrong version: -EPROTO");
	vhu_fini(&u);
	is_int(bad_first_reply(&bad_size, sizeof(bad_size), STAY, &u), -EPROTO,
	       "oversized payload: -EPROTO, nothing read into our buffer");
	vhu_fini(&u);
	is_int(bad_first_reply(garbage, sizeof(garbage), STAY, &u), -EPROTO, "garbage: -EPROTO");
	vhu_fini(&u);
	is_int(bad_first_reply(garbage, 5, HANG_UP, &u), -ECONNRESET,
	       "half a header, then EOF: -ECONNRESET");
	vhu_fini(&u);
	struct vhu_hdr good = { VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8 };

	is_int(bad_first_reply(&good, sizeof(good), HANG_UP, &u), -ECONNRESET,
	       "a header without its payload, then EOF: -ECONNRESET");
	vhu_fini(&u);
	is_int(bad_first_reply(NULL, 0, HANG_UP, &u), -ECONNRESET,
	       "EOF instead of a reply: -ECONNRESET");
	vhu_fini(&u);
	is_int(bad_first_reply(NULL, 0, GONE, &u), -EPIPE, "closed before our request: -EPIPE");
	is_int(u.state, VHU_BROKEN, "and broken");
	vhu_fini(&u);
	is_int(bad_first_reply(NULL, 0, STAY, &u), -ETIMEDOUT, "no answer at all: -ETIMEDOUT");
	vhu_fini(&u);
}

static void test_bad_values(void)
{
	struct vhu_vring_state st = { .index = 9, .num = 1 };
	struct vhu_hdr h = { VHU_GET_FEATURES, VHU_VERSION | VHU_FLAG_REPLY, 8 };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	uint64_t feat = F_V1;
	struct iovec iov[2] = { { &h, sizeof(h) }, { &feat, 8 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int stray = eventfd(0, EFD_CLOEXEC), fe, be, before;
	struct vhu u;

	fake_pair(&fe, &be);
	vhu_init(&u, fe);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &stray, sizeof(int));
	sendmsg(be, &mh, 0);
	close(stray);
	before = open_fds();
	is_int(vhu_handshake(&u, 0), 0, "a reply carrying a stray fd is still read");
	is_int(open_fds(), before, "and the stray fd is closed, not leaked");
	vhu_fini(&u);
	close(be);

	fake_pair(&fe, &be);
	vhu_init(&u, fe);
	fake_handshake_replies(be, F_V1 | F_PROTO, P_MQ, 0);
	is_int(vhu_handshake(&u, P_MQ), -EPROTO, "GET_QUEUE_NUM of 0: -EPROTO");
	vhu_fini(&u);
	close(be);

	int kick = eventfd(0, EFD_CLOEXEC);
	struct vhu_vring r = { .index = 0, .num = 8, .kick_fd = kick, .call_fd = kick };

	ready_session(&u, &be);
	is_int(vhu_start_vring(&u, &(struct vhu_vring){ .index = 0, .num = 0 }), -EINVAL,
	       "a ring of size 0 is refused");
	for (unsigned i = 0; i < 6; i++)
		fake_ack(be, order[i]);
	vhu_start_vring(&u, &r);
	fake_skip(be, 6);
	fake_ack(be, VHU_SET_VRING_ENABLE);
	fake_reply(be, VHU_GET_VRING_BASE, &st, sizeof(st));
	is_int(vhu_stop_vring(&u, 0, NULL), -EPROTO, "GET_VRING_BASE for another ring: -EPROTO");
	vhu_fini(&u);
	close(be);
	close(kick);

	struct vhu fresh;

	fake_pair(&fe, &be);
	vhu_init(&fresh, fe);
	is_int(vhu_start_vring(&fresh, &r), -EINVAL, "rings before the handshake: -EINVAL");
	is_int(vhu_set_mem_table(&fresh, NULL), -EINVAL, "memory before the handshake: -EINVAL");
	vhu_fini(&fresh);
	close(be);
	is_str(vhu_req_name(VHU_SET_MEM_TABLE), "SET_MEM_TABLE", "request names for messages");
	is_str(vhu_req_name(999), "unknown", "unknown request codes");
}

int main(void)
{
	test_handshake();
	test_no_protocol_features();
	test_mem_table();
	test_vring();
	test_bad_backends();
	test_bad_values();
	return tap_done();
}
