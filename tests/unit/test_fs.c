/* The virtio-fs device as a vhost-user front-end: config space, feature selection,
 * what the driver's activation and reset send to the back-end (a scripted fake on
 * a socketpair), calls turned into interrupts with InterruptStatus set, kicks
 * reaching the back-end, a back-end hang-up failing the device, and back-ends that
 * answer badly during the handshake. */
#include "vmm/virtio/fs.h"
#include "tests/unit/tap.h"
#include "tests/unit/fake_vhu_backend.h"

#include <endian.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#define F_V1 (1ull << 32)
#define F_PROTO (1ull << VHU_F_PROTOCOL_FEATURES)
#define F_EVIDX (1ull << VIRTIO_F_RING_EVENT_IDX)
#define P_ACK (1ull << VHU_PROTOCOL_F_REPLY_ACK)
#define P_MQ (1ull << VHU_PROTOCOL_F_MQ)
#define QNUM 16

static struct guest_mem mem;
static struct ev_loop *loop;
static int irqs, gone_calls;

static void w32(struct virtio_dev *d, uint32_t off, uint32_t v)
{
	uint32_t le = htole32(v);

	virtio_mmio_write(d, off, &le, 4);
}

static uint32_t r32(struct virtio_dev *d, uint32_t off)
{
	uint32_t le = 0;

	virtio_mmio_read(d, off, &le, 4);
	return le32toh(le);
}

static void on_irq(struct virtio_dev *d)
{
	irqs++;
	ev_stop(loop, 0);
}

static void on_gone(void *arg)
{
	gone_calls++;
	ev_stop(loop, 0);
}

static void on_timeout(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	ev_stop(l, -ETIMEDOUT);
}

/* Runs the loop until a handler stops it, at most 2 s. */
static int run_loop(void)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	struct itimerspec its = { .it_value = { .tv_sec = 2 } };
	int ret;

	timerfd_settime(tfd, 0, &its, NULL);
	ev_add(loop, tfd, EPOLLIN, on_timeout, NULL);
	ret = ev_run(loop);
	ev_del(loop, tfd);
	close(tfd);
	return ret;
}

/* A device on a fresh event loop: ev_run runs once per loop (ev_stop is final). */
static int make_fs(struct fs_dev **f, int *be, const char *tag, uint64_t features)
{
	struct fs_cfg cfg = { .tag = tag, .backend = "the fake back-end", .gone = on_gone };
	int fe, ret;

	if (loop)
		ev_destroy(loop);
	loop = ev_create();

	fake_pair(&fe, be);
	fake_handshake_replies(*be, features, P_ACK | P_MQ, 2);
	ret = fs_create(f, loop, &mem, fe, &cfg);
	fake_skip(*be, 5);
	if (!ret) {
		virtio_dev_init(fs_dev(*f), &mem, 0, 5);
		fs_dev(*f)->raise_irq = on_irq;
	}
	return ret;
}

/* The driver's side of 3.1.1 up to FEATURES_OK, and both queues set up. */
static void driver_setup(struct virtio_dev *d)
{
	w32(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	w32(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	w32(d, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	w32(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK);
	for (uint32_t q = 0; q < 2; q++) {
		w32(d, VIRTIO_MMIO_QUEUE_SEL, q);
		w32(d, VIRTIO_MMIO_QUEUE_NUM, QNUM);
		w32(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000 + q * 0x3000);
		w32(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000 + q * 0x3000);
		w32(d, VIRTIO_MMIO_QUEUE_USED_LOW, 0x3000 + q * 0x3000);
		w32(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
}

static void driver_ok(struct virtio_dev *d)
{
	w32(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
					   VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void queue_start_acks(int be)
{
	static const uint32_t order[] = { VHU_SET_VRING_NUM,  VHU_SET_VRING_BASE,
					  VHU_SET_VRING_ADDR, VHU_SET_VRING_CALL,
					  VHU_SET_VRING_KICK, VHU_SET_VRING_ENABLE };

	for (unsigned i = 0; i < 6; i++)
		fake_ack(be, order[i]);
}

static void test_config(void)
{
	struct fs_dev *f;
	struct virtio_dev *d;
	char tag[FS_TAG_MAX + 1] = { 0 };
	uint32_t nq;
	int be;

	is_int(make_fs(&f, &be, "myshare", F_V1 | F_PROTO | F_EVIDX), 0, "device created");
	d = fs_dev(f);
	is_int(r32(d, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_FS, "device id 26");
	is_int(d->nr_queues, 2, "hiprio + one request queue");
	ok(d->host_features == (F_V1 | F_EVIDX), "offers VERSION_1 and the back-end's EVENT_IDX, "
						   "not PROTOCOL_FEATURES");
	for (unsigned i = 0; i < FS_TAG_MAX; i++)
		virtio_mmio_read(d, VIRTIO_MMIO_CONFIG + i, &tag[i], 1);
	is_str(tag, "myshare", "tag in config space, NUL padded");
	virtio_mmio_read(d, VIRTIO_MMIO_CONFIG + FS_TAG_MAX, &nq, 4);
	is_int(le32toh(nq), 1, "num_request_queues 1 (le32)");
	nq = 0xdead;
	virtio_mmio_read(d, VIRTIO_MMIO_CONFIG + FS_CONFIG_LEN - 2, &nq, 4);
	is_int(nq, 0, "a read crossing the end of config space reads 0");
	virtio_dev_fini(d);
	fs_destroy(f);
	close(be);
}

static void check_start_messages(int be, int *call0, int *kick1)
{
	struct fake_msg m;
	struct vhu_vring_addr a;

	fake_read(be, &m);
	ok(m.h.request == VHU_SET_FEATURES && fake_u64(&m) == (F_V1 | F_PROTO),
	   "activation: SET_FEATURES with what the driver accepted");
	fake_read(be, &m);
	ok(m.h.request == VHU_SET_MEM_TABLE && m.nfds == 1, "then SET_MEM_TABLE with the memfd");
	fake_close_fds(&m);
	for (unsigned q = 0; q < 2; q++) {
		for (unsigned i = 0; i < 6; i++) {
			fake_read(be, &m);
			if (m.h.request == VHU_SET_VRING_ADDR) {
				memcpy(&a, m.p, sizeof(a));
				ok(a.index == q && a.desc == (uintptr_t)mem.base + 0x1000 + q * 0x3000 &&
					   a.used == (uintptr_t)mem.base + 0x3000 + q * 0x3000,
				   "queue %u: ring addresses are ours, not guest-physical", q);
			}
			if (m.h.request == VHU_SET_VRING_CALL && q == 0 && m.nfds)
				*call0 = m.fds[m.nfds = 0];
			if (m.h.request == VHU_SET_VRING_KICK && q == 1 && m.nfds)
				*kick1 = m.fds[m.nfds = 0];
			fake_close_fds(&m);
		}
	}
	ok(fake_quiet(be), "nothing else sent");
}

static void test_activate_call_kick_reset(void)
{
	struct vhu_vring_state st;
	struct fs_dev *f;
	struct virtio_dev *d;
	int be, call0 = -1, kick1 = -1;
	uint64_t one = 1, v = 0;

	make_fs(&f, &be, "data", F_V1 | F_PROTO | F_EVIDX);
	d = fs_dev(f);
	driver_setup(d);
	fake_ack(be, VHU_SET_MEM_TABLE);
	queue_start_acks(be);
	queue_start_acks(be);
	driver_ok(d);
	ok(virtio_dev_active(d), "DRIVER_OK accepted: the back-end started both rings");
	check_start_messages(be, &call0, &kick1);

	irqs = 0;
	ok(call0 >= 0 && write(call0, &one, 8) == 8, "back-end signals its call fd");
	is_int(run_loop(), 0, "the loop saw it");
	is_int(irqs, 1, "one interrupt raised");
	ok(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_VRING,
	   "InterruptStatus has the used-buffer bit before the guest looks");
	w32(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	is_int(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0, "and the driver can ack it");

	w32(d, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ok(kick1 >= 0 && read(kick1, &v, 8) == 8 && v == 1,
	   "a QueueNotify not caught by an ioeventfd still reaches the back-end");

	for (unsigned q = 0; q < 2; q++) {
		st = (struct vhu_vring_state){ .index = q, .num = 5 };
		fake_ack(be, VHU_SET_VRING_ENABLE);
		fake_reply(be, VHU_GET_VRING_BASE, &st, sizeof(st));
	}
	w32(d, VIRTIO_MMIO_STATUS, 0);
	is_int(fake_skip(be, 10), 4, "reset: each ring disabled and stopped (GET_VRING_BASE)");
	is_int(r32(d, VIRTIO_MMIO_STATUS), 0, "device reset");
	if (call0 >= 0)
		close(call0);
	if (kick1 >= 0)
		close(kick1);
	virtio_dev_fini(d);
	fs_destroy(f);
	close(be);
}

static void test_take_kick_fd(void)
{
	struct fs_dev *f;
	struct virtio_dev *d;
	int be, call0 = -1, kick1 = -1, mine = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1, v = 0;

	make_fs(&f, &be, "k", F_V1 | F_PROTO);
	d = fs_dev(f);
	ok(d->ops->take_kick_fd != NULL, "the device takes its ioeventfds");
	d->ops->take_kick_fd(d, 1, mine);
	driver_setup(d);
	fake_ack(be, VHU_SET_MEM_TABLE);
	queue_start_acks(be);
	queue_start_acks(be);
	driver_ok(d);
	check_start_messages(be, &call0, &kick1);
	ok(write(mine, &one, 8) == 8 && kick1 >= 0 && read(kick1, &v, 8) == 8 && v == 1,
	   "the back-end's kick fd for queue 1 is the transport's ioeventfd");
	close(call0);
	close(kick1);
	virtio_dev_fini(d);
	fs_destroy(f);
	close(be);
	close(mine);
}

/* In the VM the back-end gets the device's irqfd as its call fd: completions
 * interrupt the guest without the event loop, and InterruptStatus keeps the
 * used-buffer bit while the driver is active (acks of it are done in KVM). */
static void test_direct_irq(void)
{
	struct fs_dev *f;
	struct virtio_dev *d;
	int be, call0 = -1, kick1 = -1, irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1, v = 0;

	make_fs(&f, &be, "direct", F_V1 | F_PROTO | F_EVIDX);
	d = fs_dev(f);
	ok(d->direct_irq, "the device asks for direct interrupts");
	is_int(d->irq_eventfd, -1, "no irqfd until the VMM gives one");
	d->irq_eventfd = irqfd;
	is_int(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0, "InterruptStatus clear before DRIVER_OK");
	driver_setup(d);
	fake_ack(be, VHU_SET_MEM_TABLE);
	queue_start_acks(be);
	queue_start_acks(be);
	driver_ok(d);
	check_start_messages(be, &call0, &kick1);
	irqs = 0;
	ok(call0 >= 0 && write(call0, &one, 8) == 8, "back-end signals its call fd");
	ok(read(irqfd, &v, 8) == 8 && v == 1, "which is the irqfd itself");
	is_int(run_loop(), -ETIMEDOUT, "the event loop is not involved");
	is_int(irqs, 0, "no interrupt raised by the VMM");
	is_int(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING,
	       "InterruptStatus shows the used-buffer bit");
	w32(d, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	is_int(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING, "and keeps it");
	for (unsigned q = 0; q < 2; q++) {
		struct vhu_vring_state st = { .index = q, .num = 5 };

		fake_ack(be, VHU_SET_VRING_ENABLE);
		fake_reply(be, VHU_GET_VRING_BASE, &st, sizeof(st));
	}
	w32(d, VIRTIO_MMIO_STATUS, 0);
	fake_skip(be, 10);
	is_int(r32(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0, "reset clears it");
	close(call0);
	close(kick1);
	close(irqfd);
	virtio_dev_fini(d);
	fs_destroy(f);
	close(be);
}

static void test_activate_refused(void)
{
	struct fs_dev *f;
	struct virtio_dev *d;
	int be;

	make_fs(&f, &be, "nack", F_V1 | F_PROTO);
	d = fs_dev(f);
	driver_setup(d);
	fake_reply_u64(be, VHU_SET_MEM_TABLE, 1);
	driver_ok(d);
	ok(r32(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET,
	   "a back-end refusing the memory table fails the device (NEEDS_RESET)");
	ok(!virtio_dev_active(d), "not active");
	virtio_dev_fini(d);
	fs_destroy(f);
	close(be);
}

static void test_hangup(void)
{
	struct fs_dev *f;
	struct virtio_dev *d;
	int be;

	make_fs(&f, &be, "gone", F_V1 | F_PROTO);
	d = fs_dev(f);
	driver_setup(d);
	fake_ack(be, VHU_SET_MEM_TABLE);
	queue_start_acks(be);
	queue_start_acks(be);
	driver_ok(d);
	gone_calls = 0;
	close(be);
	is_int(run_loop(), 0, "the loop saw the back-end hang up");
	is_int(gone_calls, 1, "the VMM was told");
	ok(r32(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "the device is failed");
	w32(d, VIRTIO_MMIO_STATUS, 0);
	driver_setup(d);
	driver_ok(d);
	ok(!virtio_dev_active(d), "and cannot be brought back without a back-end");
	virtio_dev_fini(d);
	fs_destroy(f);
}

static void test_bad_backends(void)
{
	struct fs_cfg cfg = { .tag = "t", .backend = "bad" };
	uint8_t garbage[40];
	struct fs_dev *f = NULL;
	int fe, be;

	memset(garbage, 0x5a, sizeof(garbage));
	fake_pair(&fe, &be);
	(void)!write(be, garbage, sizeof(garbage));
	is_int(fs_create(&f, loop, &mem, fe, &cfg), -EPROTO, "garbage handshake: -EPROTO");
	close(be);

	fake_pair(&fe, &be);
	shutdown(be, SHUT_WR);
	is_int(fs_create(&f, loop, &mem, fe, &cfg), -ECONNRESET, "back-end gone: -ECONNRESET");
	close(be);

	fake_pair(&fe, &be);
	fake_handshake_replies(be, F_PROTO, 0, 0);
	is_int(fs_create(&f, loop, &mem, fe, &cfg), -EPROTONOSUPPORT,
	       "a back-end without VERSION_1 is refused");
	close(be);

	fake_pair(&fe, &be);
	fake_handshake_replies(be, F_V1 | F_PROTO, P_MQ, 1);
	is_int(fs_create(&f, loop, &mem, fe, &cfg), -EPROTONOSUPPORT,
	       "a back-end with fewer queues than hiprio + request is refused");
	close(be);

	fake_pair(&fe, &be);
	cfg.tag = "0123456789012345678901234567890123456";
	is_int(fs_create(&f, loop, &mem, fe, &cfg), -EINVAL, "a 37-byte tag is refused");
	close(be);
	is_int(fs_check_tag("012345678901234567890123456789012345"), 0, "36 bytes is fine");
	is_int(fs_check_tag(""), -EINVAL, "an empty tag is not");
	ok(f == NULL, "nothing returned on failure");
}

int main(void)
{
	loop = ev_create();
	if (!loop || mem_init(&mem, 1 << 20)) {
		skip("no event loop or memfd here");
		return tap_done();
	}
	test_config();
	test_activate_call_kick_reset();
	test_take_kick_fd();
	test_direct_irq();
	test_activate_refused();
	test_hangup();
	test_bad_backends();
	mem_fini(&mem);
	ev_destroy(loop);
	return tap_done();
}
