/* Unit tests for vmm/virtio/mmio: the virtio-mmio register file driven the way a
 * guest driver would (and the ways a hostile one might), against a fake device
 * that counts its callbacks and interrupts. */
#include "vmm/virtio/virtio.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <stdlib.h>

#define RAM_SIZE (1u << 20)
#define DESC 0x1000u
#define AVAIL 0x2000u
#define USED 0x3000u
#define DATA 0x10000u
#define DEV_FEATURE_BIT 3 /* a device-specific feature we offer */
#define BASE 0xd0000000ull

static uint8_t *ram;
static struct guest_mem mem;
static struct virtio_dev d;
static bool d_live;

static struct fake {
	int activate_calls, activate_ret, reset_calls, notify_calls, irqs;
	int cfg_reads, cfg_writes;
	unsigned last_q;
	bool locked_in_op; /* d.lock was held during every op call */
	uint8_t cfg[8];
} f;

static void check_locked(struct virtio_dev *dev)
{
	if (pthread_mutex_trylock(&dev->lock) == 0) {
		f.locked_in_op = false;
		pthread_mutex_unlock(&dev->lock);
	}
}

static void fake_config_read(struct virtio_dev *dev, uint32_t off, void *buf, uint32_t len)
{
	check_locked(dev);
	f.cfg_reads++;
	memcpy(buf, f.cfg + off, len);
}

static void fake_config_write(struct virtio_dev *dev, uint32_t off, const void *buf, uint32_t len)
{
	check_locked(dev);
	f.cfg_writes++;
	memcpy(f.cfg + off, buf, len);
}

static int fake_activate(struct virtio_dev *dev)
{
	check_locked(dev);
	f.activate_calls++;
	return f.activate_ret;
}

static void fake_reset(struct virtio_dev *dev)
{
	check_locked(dev);
	f.reset_calls++;
}

/* Completes everything offered, like a trivial back-end would. */
static void fake_notify(struct virtio_dev *dev, unsigned q)
{
	struct vq_chain ch;

	check_locked(dev);
	f.notify_calls++;
	f.last_q = q;
	while (vq_pop(&dev->vqs[q], &ch) == 1)
		vq_push(&dev->vqs[q], ch.head, ch.in_len);
	virtio_notify_used(dev, q);
}

static void fake_raise_irq(struct virtio_dev *dev)
{
	f.irqs++;
}

static const struct virtio_dev_ops fake_ops = {
	.config_read = fake_config_read,
	.config_write = fake_config_write,
	.activate = fake_activate,
	.reset = fake_reset,
	.notify = fake_notify,
};

static void setup(void)
{
	if (d_live)
		virtio_dev_fini(&d);
	memset(ram, 0, RAM_SIZE);
	mem_init_fake(&mem, ram, RAM_SIZE);
	memset(&f, 0, sizeof(f));
	memcpy(f.cfg, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	f.locked_in_op = true;
	memset(&d, 0, sizeof(d));
	d.ops = &fake_ops;
	d.name = "fake";
	d.device_id = VIRTIO_ID_VSOCK;
	d.host_features = (1ull << DEV_FEATURE_BIT) | (1ull << VIRTIO_F_RING_EVENT_IDX);
	d.config_len = 8;
	d.nr_queues = 3;
	d.raise_irq = fake_raise_irq;
	d_live = virtio_dev_init(&d, &mem, BASE, 5) == 0;
}

static uint32_t rd(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	virtio_mmio_read(&d, off, &v, 4);
	return v;
}

static void wr(uint64_t off, uint32_t v)
{
	virtio_mmio_write(&d, off, &v, 4);
}

static void write_features(uint64_t feat)
{
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)feat);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(feat >> 32));
}

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status read back. */
static uint32_t negotiate(uint64_t feat)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	write_features(feat);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return rd(VIRTIO_MMIO_STATUS);
}

static void setup_queue(unsigned i, uint32_t num, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, i);
	wr(VIRTIO_MMIO_QUEUE_NUM, num);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(avail >> 32));
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used >> 32));
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

#define ALL_OK                                                                                     \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |           \
	 VIRTIO_STATUS_DRIVER_OK)
#define V1 (1ull << VIRTIO_F_VERSION_1)

/* A full bring-up with queue 0 on good rings; returns the status read back. */
static uint32_t bring_up(void)
{
	negotiate(V1 | (1ull << DEV_FEATURE_BIT));
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	return rd(VIRTIO_MMIO_STATUS);
}

static void test_init(void)
{
	struct virtio_dev bad = { .ops = &fake_ops, .nr_queues = VIRTIO_MAX_QUEUES + 1 };
	struct virtio_dev noops = { .nr_queues = 1 };

	is_int(virtio_dev_init(&bad, &mem, BASE, 5), -EINVAL, "too many queues rejected");
	is_int(virtio_dev_init(&noops, &mem, BASE, 5), -EINVAL, "missing ops rejected");
	setup();
	ok(d_live, "init");
	ok(d.host_features & V1, "VERSION_1 offered");
	ok(d.host_features & (1ull << DEV_FEATURE_BIT), "back-end features kept");
	ok(d.mem == &mem && d.mmio_base == BASE && d.irq == 5, "init records mem, base and irq");
}

static void test_ids(void)
{
	uint16_t v16 = 0x1234;
	uint64_t v64 = 0x1234;

	setup();
	is_int(rd(VIRTIO_MMIO_MAGIC), 0x74726976, "MagicValue");
	is_int(rd(VIRTIO_MMIO_VERSION), 2, "Version 2");
	is_int(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK, "DeviceID");
	is_int(rd(VIRTIO_MMIO_VENDOR_ID), 0x4d565552, "VendorID");
	virtio_mmio_read(&d, VIRTIO_MMIO_MAGIC, &v16, 2);
	is_int(v16, 0, "2-byte register read gives 0");
	virtio_mmio_read(&d, VIRTIO_MMIO_MAGIC, &v64, 8);
	ok(v64 == 0, "8-byte register read gives 0");
	is_int(rd(VIRTIO_MMIO_MAGIC + 2), 0, "unaligned register read gives 0");
	is_int(rd(0x0f8), 0, "unknown register reads 0");
	is_int(rd(VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff, "no shared memory region");
	v16 = VIRTIO_STATUS_ACKNOWLEDGE;
	virtio_mmio_write(&d, VIRTIO_MMIO_STATUS, &v16, 2);
	is_int(rd(VIRTIO_MMIO_STATUS), 0, "2-byte register write ignored");
}

static void test_features(void)
{
	uint32_t st;

	setup();
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	is_int(rd(VIRTIO_MMIO_DEVICE_FEATURES), (1u << DEV_FEATURE_BIT) | (1u << 29),
	       "DeviceFeatures word 0");
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	is_int(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1, "DeviceFeatures word 1 holds VERSION_1");
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	is_int(rd(VIRTIO_MMIO_DEVICE_FEATURES), 0, "DeviceFeatures word 2 is 0");

	st = negotiate(V1 | (1ull << DEV_FEATURE_BIT));
	ok(st & VIRTIO_STATUS_FEATURES_OK, "offered features accepted");
	ok(d.acked_features == (V1 | (1ull << DEV_FEATURE_BIT)), "acked_features recorded");
	write_features(V1);
	ok(d.acked_features == (V1 | (1ull << DEV_FEATURE_BIT)), "features frozen after FEATURES_OK");

	setup();
	st = negotiate(V1);
	ok(st & VIRTIO_STATUS_FEATURES_OK, "a subset is accepted");
	ok(d.acked_features == V1, "subset recorded");

	setup();
	st = negotiate(V1 | (1ull << 5));
	is_int(st, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER,
	       "unoffered feature: FEATURES_OK reads back clear");
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	ok(!(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK) && f.activate_calls == 0,
	   "no DRIVER_OK after refused features");

	setup();
	st = negotiate(1ull << DEV_FEATURE_BIT);
	ok(!(st & VIRTIO_STATUS_FEATURES_OK), "missing VERSION_1 refused");

	setup();
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 2);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
	st = negotiate(V1);
	ok(st & VIRTIO_STATUS_FEATURES_OK, "DriverFeatures word 2 ignored");
}

static void test_status_order(void)
{
	const uint32_t ack = VIRTIO_STATUS_ACKNOWLEDGE, drv = VIRTIO_STATUS_DRIVER;

	setup();
	wr(VIRTIO_MMIO_STATUS, drv);
	is_int(rd(VIRTIO_MMIO_STATUS), 0, "DRIVER before ACKNOWLEDGE ignored");
	wr(VIRTIO_MMIO_STATUS, ack);
	is_int(rd(VIRTIO_MMIO_STATUS), ack, "ACKNOWLEDGE");
	write_features(V1);
	wr(VIRTIO_MMIO_STATUS, ack | VIRTIO_STATUS_FEATURES_OK);
	is_int(rd(VIRTIO_MMIO_STATUS), ack, "FEATURES_OK before DRIVER ignored");
	wr(VIRTIO_MMIO_STATUS, ack | drv);
	is_int(rd(VIRTIO_MMIO_STATUS), ack | drv, "DRIVER");
	wr(VIRTIO_MMIO_STATUS, ack | drv | VIRTIO_STATUS_DRIVER_OK);
	is_int(rd(VIRTIO_MMIO_STATUS), ack | drv, "DRIVER_OK before FEATURES_OK ignored");
	is_int(f.activate_calls, 0, "no activation");
	wr(VIRTIO_MMIO_STATUS, drv);
	is_int(rd(VIRTIO_MMIO_STATUS), ack | drv, "clearing a bit without reset ignored");
	wr(VIRTIO_MMIO_STATUS, ack | drv | VIRTIO_STATUS_NEEDS_RESET | 0x30);
	is_int(rd(VIRTIO_MMIO_STATUS), ack | drv, "driver cannot set NEEDS_RESET or unknown bits");
	wr(VIRTIO_MMIO_STATUS, ack | drv | VIRTIO_STATUS_FEATURES_OK);
	is_int(rd(VIRTIO_MMIO_STATUS), ack | drv | VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK");
	ok(!virtio_dev_active(&d), "not active before DRIVER_OK");
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	is_int(rd(VIRTIO_MMIO_STATUS), ALL_OK, "DRIVER_OK");
	is_int(f.activate_calls, 1, "DRIVER_OK activates");
	ok(virtio_dev_active(&d), "active");
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	is_int(f.activate_calls, 1, "writing DRIVER_OK again does not re-activate");
	wr(VIRTIO_MMIO_STATUS, ALL_OK | VIRTIO_STATUS_FAILED);
	ok(!virtio_dev_active(&d), "driver FAILED deactivates");
	ok(f.locked_in_op, "ops were called with the lock held");
}

static void test_queue_regs(void)
{
	struct vq *q = &d.vqs[0];

	setup();
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	is_int(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), VQ_MAX_SIZE, "QueueNumMax");
	wr(VIRTIO_MMIO_QUEUE_NUM, 256);
	is_int(q->num, 256, "QueueNum 256");
	wr(VIRTIO_MMIO_QUEUE_NUM, 100);
	is_int(q->num, 256, "QueueNum not a power of two ignored");
	wr(VIRTIO_MMIO_QUEUE_NUM, 2 * VQ_MAX_SIZE);
	is_int(q->num, 256, "QueueNum above max ignored");
	wr(VIRTIO_MMIO_QUEUE_NUM, 0);
	is_int(q->num, 256, "QueueNum 0 ignored");
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x1);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, 0x2000);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, 0x3000);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, 0x2);
	ok(q->desc_gpa == 0x100001000ull && q->avail_gpa == 0x2000 && q->used_gpa == 0x200003000ull,
	   "ring addresses from low and high halves");
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
	ok(!q->ready, "QueueReady before FEATURES_OK ignored");

	negotiate(V1 | (1ull << VIRTIO_F_RING_EVENT_IDX));
	setup_queue(1, 16, DESC, AVAIL, USED);
	is_int(rd(VIRTIO_MMIO_QUEUE_READY), 1, "QueueReady reads 1");
	ok(d.vqs[1].ready && d.vqs[1].event_idx, "queue ready with EVENT_IDX");
	wr(VIRTIO_MMIO_QUEUE_NUM, 32);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	ok(d.vqs[1].num == 16 && d.vqs[1].desc_gpa == DESC, "setup writes ignored while ready");
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	ok(!d.vqs[1].ready, "QueueReady 0");
	ok(d.vqs[0].num == 256 && !d.vqs[0].ready, "other queue untouched");

	setup();
	negotiate(V1);
	setup_queue(2, 16, DESC, AVAIL, USED);
	ok(d.vqs[2].ready && !d.vqs[2].event_idx, "no EVENT_IDX when not negotiated");
}

static void test_bad_queue_sel(void)
{
	setup();
	negotiate(V1);
	for (unsigned i = 0; i < 2; i++) {
		uint32_t sel = i ? 0xffffffffu : 3;

		setup_queue(sel, 16, DESC, AVAIL, USED);
		is_int(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0, "QueueNumMax 0 for queue_sel %u", sel);
		is_int(rd(VIRTIO_MMIO_QUEUE_READY), 0, "QueueReady 0 for queue_sel %u", sel);
	}
	ok(d.vqs[3].num == 0 && !d.vqs[3].ready, "queues past nr_queues untouched");
}

static void test_activate(void)
{
	uint32_t st;

	setup();
	is_int(bring_up(), ALL_OK, "bring-up");
	ok(virtio_dev_active(&d), "active after bring-up");
	is_int(f.irqs, 0, "no interrupt");

	setup();
	f.activate_ret = -EIO;
	st = bring_up();
	ok(st & VIRTIO_STATUS_NEEDS_RESET, "activate failure sets NEEDS_RESET");
	ok(!virtio_dev_active(&d), "failed device is not active");
	ok(f.irqs == 1 && (d.isr & VIRTIO_MMIO_INT_CONFIG), "driver told by config interrupt");

	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC + 4, AVAIL, USED);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	ok(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "misaligned ring fails DRIVER_OK");
	is_int(f.activate_calls, 0, "activate not called with a bad ring");

	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, RAM_SIZE - 8);
	wr(VIRTIO_MMIO_STATUS, ALL_OK);
	ok(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET, "ring outside RAM fails DRIVER_OK");

	setup();
	virtio_dev_fail(&d);
	is_int(f.irqs, 0, "failing before DRIVER_OK raises nothing");
	ok(d.status & VIRTIO_STATUS_NEEDS_RESET, "but sets NEEDS_RESET");
}

static void test_notify_and_irq(void)
{
	uint16_t one = 1;

	setup();
	negotiate(V1);
	setup_queue(0, 8, DESC, AVAIL, USED);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	is_int(f.notify_calls, 0, "notify before DRIVER_OK not dispatched");
	wr(VIRTIO_MMIO_STATUS, ALL_OK);

	/* One 4-byte writable buffer at descriptor 0. */
	uint64_t addr = DATA;
	uint32_t len = 4;
	uint16_t flags = VQ_DESC_F_WRITE;

	memcpy(ram + DESC, &addr, 8);
	memcpy(ram + DESC + 8, &len, 4);
	memcpy(ram + DESC + 12, &flags, 2);
	memcpy(ram + AVAIL + 2, &one, 2);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ok(f.notify_calls == 1 && f.last_q == 0, "QueueNotify 0 dispatched");
	ok(memcmp(ram + USED + 2, &one, 2) == 0, "fake back-end completed the buffer");
	is_int(f.irqs, 1, "used buffer interrupt raised");
	is_int(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING, "InterruptStatus");
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	is_int(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0, "InterruptACK clears");

	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	ok(f.notify_calls == 2 && f.last_q == 2, "QueueNotify 2 dispatched");
	is_int(f.irqs, 1, "no interrupt for a queue with nothing used");
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 3);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	is_int(f.notify_calls, 2, "QueueNotify past nr_queues ignored");
	virtio_notify_used(&d, 7);
	virtio_notify_used(&d, 1000);
	is_int(f.irqs, 1, "virtio_notify_used with a bad queue ignored");

	virtio_notify_config(&d);
	ok(f.irqs == 2 && d.isr == VIRTIO_MMIO_INT_CONFIG, "config interrupt");
	is_int(rd(VIRTIO_MMIO_CONFIG_GENERATION), 1, "config generation bumped");
	wr(VIRTIO_MMIO_INTERRUPT_ACK, 0xffffffff);
	is_int(d.isr, 0, "ACK of all bits");
}

static void test_config(void)
{
	uint8_t b = 0;
	uint16_t w = 0;
	uint32_t l = 0;
	uint64_t q = 0;
	uint8_t odd[3] = { 9, 9, 9 };

	setup();
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG + 2, &b, 1);
	is_int(b, 3, "1-byte config read");
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG + 6, &w, 2);
	is_int(w, 0x0807, "2-byte config read at the end");
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG + 4, &l, 4);
	is_int(l, 0x08070605, "4-byte config read");
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG, &q, 8);
	ok(q == 0x0807060504030201ull, "8-byte config read");
	is_int(f.cfg_reads, 4, "back-end saw 4 reads");
	l = 0x12345678;
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG + 6, &l, 4);
	is_int(l, 0, "read crossing the end of config reads 0");
	b = 0x55;
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG + 8, &b, 1);
	is_int(b, 0, "read past config reads 0");
	virtio_mmio_read(&d, UINT64_MAX, &b, 1);
	virtio_mmio_read(&d, UINT64_MAX - 3, &l, 4);
	is_int(l, 0, "read at a huge offset reads 0");
	virtio_mmio_read(&d, VIRTIO_MMIO_CONFIG, odd, 3);
	ok(odd[0] == 0 && odd[2] == 0, "3-byte config read gives 0");
	is_int(f.cfg_reads, 4, "bad reads never reach the back-end");

	w = 0xaaaa;
	virtio_mmio_write(&d, VIRTIO_MMIO_CONFIG + 6, &w, 2);
	is_int(f.cfg[6], 0xaa, "config write");
	virtio_mmio_write(&d, VIRTIO_MMIO_CONFIG + 7, &w, 2);
	virtio_mmio_write(&d, VIRTIO_MMIO_CONFIG, odd, 3);
	virtio_mmio_write(&d, UINT64_MAX - 1, &w, 2);
	is_int(f.cfg_writes, 1, "bad config writes never reach the back-end");
	ok(f.locked_in_op, "config ops called with the lock held");
}

static void test_reset(void)
{
	setup();
	bring_up();
	virtio_notify_config(&d);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_STATUS, 0);
	is_int(f.reset_calls, 1, "ops->reset called");
	is_int(rd(VIRTIO_MMIO_STATUS), 0, "status 0");
	is_int(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0, "isr cleared");
	ok(d.acked_features == 0, "acked features cleared");
	ok(d.queue_sel == 0 && d.dev_features_sel == 0 && d.drv_features_sel == 0,
	   "selectors cleared");
	ok(!d.vqs[0].ready && d.vqs[0].num == 0 && d.vqs[0].desc_gpa == 0, "queues reset");
	ok(d.vqs[0].mem == &mem, "queues keep guest memory");
	is_int(bring_up(), ALL_OK, "device comes back after reset");
	is_int(f.activate_calls, 2, "activated again");
}

static void test_cmdline(void)
{
	char buf[64], tiny[8];

	setup();
	is_int(virtio_mmio_cmdline(&d, buf, sizeof(buf)), 0, "cmdline");
	is_str(buf, "virtio_mmio.device=4K@0xd0000000:5", "cmdline text");
	is_int(virtio_mmio_cmdline(&d, tiny, sizeof(tiny)), -ENOSPC, "cmdline too long");
}

/* A hostile driver: random accesses everywhere, random ring contents. */
static void test_fuzz(void)
{
	static const uint16_t regs[] = { 0x014, 0x020, 0x024, 0x030, 0x038, 0x044, 0x050,
					 0x064, 0x070, 0x080, 0x084, 0x090, 0x094, 0x0a0,
					 0x0a4, 0x100, 0x104 };
	uint64_t val;
	bool sane = true;

	setup();
	srand(1);
	for (size_t i = 0; i < RAM_SIZE; i++)
		ram[i] = (uint8_t)rand();
	for (int i = 0; i < 200000; i++) {
		uint64_t off = rand() % 4 ? regs[rand() % 17] : (uint64_t)(rand() % 0x1400);
		unsigned len = rand() % 8 ? 4 : 1u << (rand() % 4);
		uint32_t v = rand() % 2 ? (uint32_t)rand() : (uint32_t)rand() % 4096;

		if (rand() % 1000 == 0)
			negotiate(V1 | (uint64_t)(rand() % 2) << VIRTIO_F_RING_EVENT_IDX);
		if (off == VIRTIO_MMIO_STATUS && rand() % 2)
			v &= 0x0f;
		if (off == VIRTIO_MMIO_QUEUE_READY)
			v &= 1;
		if (off == VIRTIO_MMIO_QUEUE_NOTIFY || off == VIRTIO_MMIO_QUEUE_SEL)
			v %= 4;
		if (off == VIRTIO_MMIO_QUEUE_NUM && rand() % 2)
			v = 1u << (rand() % 12);
		if (off >= VIRTIO_MMIO_QUEUE_DESC_LOW && off <= VIRTIO_MMIO_QUEUE_USED_HIGH)
			v &= 0x000ff000; /* rings inside RAM */
		val = v;
		if (rand() % 2)
			virtio_mmio_write(&d, off, &val, len);
		else
			virtio_mmio_read(&d, off, &val, len);
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			if (d.vqs[q].num & (d.vqs[q].num - 1) || d.vqs[q].num > VQ_MAX_SIZE)
				sane = false;
		if ((d.status & VIRTIO_STATUS_FEATURES_OK) && (d.acked_features & ~d.host_features))
			sane = false;
	}
	ok(sane, "invariants held through 200000 random accesses");
	ok(f.notify_calls > 0 && f.activate_calls > 0, "fuzzing reached activate and notify (%d, %d)",
	   f.activate_calls, f.notify_calls);
	wr(VIRTIO_MMIO_STATUS, 0);
	memset(ram, 0, RAM_SIZE);
	is_int(bring_up(), ALL_OK, "device usable after reset");
}

int main(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		return 1;
	test_init();
	test_ids();
	test_features();
	test_status_order();
	test_queue_regs();
	test_bad_queue_sel();
	test_activate();
	test_notify_and_irq();
	test_config();
	test_reset();
	test_cmdline();
	test_fuzz();
	if (d_live)
		virtio_dev_fini(&d);
	free(ram);
	return tap_done();
}
