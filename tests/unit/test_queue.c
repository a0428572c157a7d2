/* Unit tests for vmm/virtio/queue: split rings built by hand in fake guest memory,
 * well-formed chains and every malformed one a hostile driver could offer. */
#include "vmm/virtio/queue.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <stdlib.h>

#define RAM_SIZE (1u << 20)
#define DESC 0x1000u
#define AVAIL 0x2000u
#define USED 0x3000u
#define TABLE 0x8000u /* indirect tables */
#define DATA 0x10000u

static uint8_t *ram;
static struct guest_mem mem;
static struct vq q;
static struct vq_chain c;
static uint16_t avail_idx;

static void w16(uint64_t gpa, uint16_t v)
{
	memcpy(ram + gpa, &v, 2);
}

static void w32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static uint16_t r16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return v;
}

static uint32_t r32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

static void setup(uint16_t num)
{
	memset(ram, 0, RAM_SIZE);
	mem_init_fake(&mem, ram, RAM_SIZE);
	vq_reset(&q, &mem);
	q.num = num;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.ready = true;
	avail_idx = 0;
}

/* Writes descriptor i of the table at gpa `table`. */
static void desc_at(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		    uint16_t next)
{
	uint64_t p = table + 16u * i;

	memcpy(ram + p, &addr, 8);
	w32(p + 8, len);
	w16(p + 12, flags);
	w16(p + 14, next);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	desc_at(DESC, i, addr, len, flags, next);
}

static void offer(uint16_t head)
{
	w16(AVAIL + 4 + 2u * (avail_idx & (q.num - 1)), head);
	avail_idx++;
	w16(AVAIL + 2, avail_idx);
}

/* Offers `head` and expects vq_pop to reject it and break the queue. */
static void expect_broken(uint16_t head, const char *what)
{
	offer(head);
	is_int(vq_pop(&q, &c), -EINVAL, "%s: rejected", what);
	ok(q.broken, "%s: queue broken", what);
}

/* tap.h's ok() evaluates its condition twice, so a pop must not happen inside it. */
#define pop_ok(cond, ...)                                                                          \
	do {                                                                                       \
		int pop_rc = vq_pop(&q, &c);                                                       \
		ok(pop_rc == 1 && (cond), __VA_ARGS__);                                            \
	} while (0)

static void test_simple(void)
{
	setup(8);
	is_int(vq_validate(&q), 0, "validate: good rings");
	is_int(vq_pop(&q, &c), 0, "empty ring pops nothing");
	ok(!vq_has_avail(&q), "empty ring has nothing available");
	desc(3, DATA, 100, 0, 0);
	offer(3);
	ok(vq_has_avail(&q), "has_avail after offer");
	is_int(vq_pop(&q, &c), 1, "pop one descriptor");
	is_int(c.head, 3, "head");
	is_int(c.nr_out, 1, "one readable segment");
	is_int(c.nr_in, 0, "no writable segment");
	ok(c.out[0].iov_base == ram + DATA && c.out[0].iov_len == 100, "segment translated");
	is_int(c.out_len, 100, "out_len");
	is_int(vq_pop(&q, &c), 0, "nothing more");
}

static void test_chain_and_push(void)
{
	setup(8);
	desc(0, DATA, 10, VQ_DESC_F_NEXT, 5);
	desc(5, DATA + 0x100, 20, VQ_DESC_F_NEXT, 2);
	desc(2, DATA + 0x200, 30, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 7);
	desc(7, DATA + 0x300, 40, VQ_DESC_F_WRITE, 0);
	offer(0);
	is_int(vq_pop(&q, &c), 1, "pop a 4-descriptor chain");
	ok(c.nr_out == 2 && c.nr_in == 2, "2 readable + 2 writable");
	ok(c.out_len == 30 && c.in_len == 70, "byte totals");
	ok(c.out[1].iov_base == ram + DATA + 0x100 && c.in[1].iov_base == ram + DATA + 0x300,
	   "segments in chain order");
	is_int(vq_push(&q, c.head, 55), 0, "push");
	is_int(r16(USED + 2), 1, "used idx published");
	is_int(r32(USED + 4), 0, "used elem id");
	is_int(r32(USED + 8), 55, "used elem len");
	is_int(vq_push(&q, 8, 0), -EINVAL, "push of a head >= num rejected");
	is_int(r16(USED + 2), 1, "bad push leaves used idx alone");
}

static void test_unpop(void)
{
	setup(4);
	desc(1, DATA, 8, 0, 0);
	desc(2, DATA, 8, 0, 0);
	offer(1);
	offer(2);
	is_int(vq_pop(&q, &c), 1, "pop first");
	vq_unpop(&q);
	pop_ok(c.head == 1, "after unpop the same chain comes again");
	pop_ok(c.head == 2, "then the next one");
}

static void test_wrap(void)
{
	setup(4);
	q.last_avail = q.used_idx = 65534;
	avail_idx = 65534;
	w16(AVAIL + 2, avail_idx);
	w16(USED + 2, 65534);
	for (uint16_t i = 0; i < 3; i++) {
		desc(i, DATA + 16u * i, 16, VQ_DESC_F_WRITE, 0);
		offer(i);
	}
	is_int(r16(AVAIL + 2), 1, "avail idx wrapped to 1");
	for (uint16_t i = 0; i < 3; i++) {
		pop_ok(c.head == i, "pop %u across the wrap", i);
		is_int(vq_push(&q, c.head, i), 0, "push %u across the wrap", i);
	}
	is_int(vq_pop(&q, &c), 0, "ring empty after the wrap");
	is_int(q.last_avail, 1, "last_avail wrapped");
	is_int(r16(USED + 2), 1, "used idx wrapped");
	is_int(r32(USED + 4 + 8 * 3), 1, "element 65535 landed in slot 3");
	is_int(r32(USED + 4 + 8 * 0), 2, "element 0 landed in slot 0");
}

static void test_bad_indices(void)
{
	setup(8);
	expect_broken(8, "head == num");
	is_int(vq_pop(&q, &c), -EINVAL, "broken queue keeps failing");

	setup(8);
	desc(0, DATA, 8, VQ_DESC_F_NEXT, 9);
	expect_broken(0, "next >= num");

	setup(8);
	desc(4, DATA, 8, VQ_DESC_F_NEXT, 4);
	expect_broken(4, "descriptor pointing at itself");

	setup(8);
	desc(0, DATA, 8, VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 8, VQ_DESC_F_NEXT, 2);
	desc(2, DATA, 8, VQ_DESC_F_NEXT, 0);
	expect_broken(0, "three-descriptor loop");

	setup(8);
	for (uint16_t i = 0; i < 8; i++)
		desc(i, DATA, 8, i < 7 ? VQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	offer(0);
	pop_ok(c.nr_out == 8, "a chain of exactly num descriptors is fine");

	setup(8);
	desc(0, DATA, 8, 0, 0);
	avail_idx = 9;
	w16(AVAIL + 2, avail_idx);
	is_int(vq_pop(&q, &c), -EINVAL, "avail idx more than num ahead rejected");
	ok(q.broken, "avail idx jump breaks the queue");
}

static void test_bad_addresses(void)
{
	setup(8);
	desc(0, RAM_SIZE, 1, 0, 0);
	expect_broken(0, "buffer past the end of RAM");

	setup(8);
	desc(0, RAM_SIZE - 10, 11, 0, 0);
	expect_broken(0, "buffer crossing the end of RAM");

	setup(8);
	desc(0, UINT64_MAX - 10, 100, 0, 0);
	expect_broken(0, "address + len overflowing 64 bits");

	setup(8);
	desc(0, RAM_SIZE - 10, 10, 0, 0);
	offer(0);
	is_int(vq_pop(&q, &c), 1, "buffer ending exactly at the end of RAM");
}

static void test_order_and_limits(void)
{
	setup(8);
	desc(0, DATA, 8, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 8, 0, 0);
	expect_broken(0, "readable after writable");

	setup(8);
	desc(0, DATA, 8, VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 0, VQ_DESC_F_NEXT, 2);
	desc(2, DATA, 8, VQ_DESC_F_WRITE, 0);
	offer(0);
	pop_ok(c.nr_out == 1 && c.nr_in == 1, "zero-length descriptor skipped");

	/* Lengths are only translated, never touched: fake a 1 TiB RAM over the buffer. */
	struct guest_mem big;

	setup(8);
	mem_init_fake(&big, ram, 1ull << 40);
	q.mem = &big;
	desc(0, DATA, UINT32_MAX, VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 1, VQ_DESC_F_WRITE, 0);
	expect_broken(0, "lengths summing past UINT32_MAX");

	setup(8);
	q.mem = &big;
	desc(0, DATA, UINT32_MAX - 1, VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 1, VQ_DESC_F_WRITE, 0);
	offer(0);
	pop_ok(c.out_len == UINT32_MAX - 1 && c.in_len == 1,
	   "lengths summing to exactly UINT32_MAX");
}

/* Builds an indirect table at TABLE of n 1-byte segments, the last `in` writable. */
static void indirect_table(unsigned n, unsigned in)
{
	for (unsigned i = 0; i < n; i++)
		desc_at(TABLE, (uint16_t)i, DATA + i, 1,
			(i + 1 < n ? VQ_DESC_F_NEXT : 0) | (i >= n - in ? VQ_DESC_F_WRITE : 0),
			(uint16_t)(i + 1));
}

static void test_indirect(void)
{
	setup(8);
	indirect_table(3, 1);
	desc(6, TABLE, 3 * 16, VQ_DESC_F_INDIRECT, 0);
	offer(6);
	is_int(vq_pop(&q, &c), 1, "indirect chain popped");
	ok(c.head == 6 && c.nr_out == 2 && c.nr_in == 1, "indirect: 2 readable + 1 writable");
	ok(c.in[0].iov_base == ram + DATA + 2, "indirect segment translated");

	setup(8);
	desc(0, DATA, 4, VQ_DESC_F_NEXT, 1);
	indirect_table(2, 1);
	desc(1, TABLE, 2 * 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	pop_ok(c.nr_out == 2 && c.nr_in == 1, "indirect after a direct one");

	setup(8);
	indirect_table(VQ_MAX_SEGS, 0);
	desc(0, TABLE, VQ_MAX_SEGS * 16, VQ_DESC_F_INDIRECT, 0);
	offer(0);
	pop_ok(c.nr_out == VQ_MAX_SEGS, "VQ_MAX_SEGS segments accepted");

	setup(8);
	indirect_table(VQ_MAX_SEGS + 1, 0);
	desc(0, TABLE, (VQ_MAX_SEGS + 1) * 16, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "more than VQ_MAX_SEGS segments");

	setup(8);
	indirect_table(2, 0);
	desc(0, TABLE, 20, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect len not a multiple of 16");

	setup(8);
	desc(0, TABLE, 0, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect len 0");

	setup(8);
	desc(0, TABLE, (VQ_MAX_SIZE + 1) * 16, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect table longer than VQ_MAX_SIZE");

	setup(8);
	desc(0, RAM_SIZE - 16, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect table outside RAM");

	setup(8);
	desc(0, UINT64_MAX - 15, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect table address overflowing");
}

static void test_indirect_bad(void)
{
	setup(8);
	desc_at(TABLE, 0, DATA, 4, VQ_DESC_F_NEXT, 1);
	desc_at(TABLE, 1, TABLE + 0x100, 16, VQ_DESC_F_INDIRECT, 0);
	desc_at(TABLE + 0x100, 0, DATA, 4, 0, 0);
	desc(0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect inside indirect");

	setup(8);
	indirect_table(2, 0);
	desc(0, TABLE, 32, VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	desc(1, DATA, 4, 0, 0);
	expect_broken(0, "indirect with NEXT");

	setup(8);
	desc_at(TABLE, 0, DATA, 4, VQ_DESC_F_NEXT, 2);
	desc(0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect next outside the table");

	setup(8);
	desc_at(TABLE, 0, DATA, 4, VQ_DESC_F_NEXT, 1);
	desc_at(TABLE, 1, DATA, 4, VQ_DESC_F_NEXT, 0);
	desc(0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "loop inside an indirect table");

	setup(8);
	desc_at(TABLE, 0, DATA, 4, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	desc_at(TABLE, 1, DATA, 4, 0, 0);
	desc(0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "indirect: readable after writable");

	setup(8);
	desc(0, DATA, 4, VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 1);
	indirect_table(1, 0);
	desc(1, TABLE, 16, VQ_DESC_F_INDIRECT, 0);
	expect_broken(0, "writable direct, then readable indirect");
}

static void test_validate(void)
{
	setup(8);
	q.desc_gpa = DESC + 8;
	is_int(vq_validate(&q), -EINVAL, "desc not 16-aligned");
	setup(8);
	q.avail_gpa = AVAIL + 1;
	is_int(vq_validate(&q), -EINVAL, "avail not 2-aligned");
	setup(8);
	q.used_gpa = USED + 2;
	is_int(vq_validate(&q), -EINVAL, "used not 4-aligned");
	setup(8);
	q.used_gpa = RAM_SIZE - 16;
	is_int(vq_validate(&q), -EINVAL, "used ring past the end of RAM");
	setup(8);
	q.desc_gpa = UINT64_MAX & ~15ull;
	is_int(vq_validate(&q), -EINVAL, "desc ring address overflowing");
	setup(8);
	q.num = 0;
	is_int(vq_validate(&q), -EINVAL, "num 0");
	is_int(vq_pop(&q, &c), -EINVAL, "pop with num 0 fails");
	setup(8);
	q.num = 6;
	is_int(vq_validate(&q), -EINVAL, "num not a power of two");
	setup(8);
	q.ready = false;
	is_int(vq_validate(&q), -EINVAL, "queue not ready");
	desc(0, DATA, 4, 0, 0);
	offer(0);
	is_int(vq_pop(&q, &c), 0, "pop on a queue that is not ready");
	ok(!vq_has_avail(&q), "nothing available while not ready");
	vq_reset(&q, &mem);
	ok(!q.ready && !q.broken && q.num == 0 && q.desc_gpa == 0, "reset clears the queue");
}

static void test_notify_flags(void)
{
	setup(4);
	desc(0, DATA, 4, 0, 0);
	offer(0);
	vq_pop(&q, &c);
	vq_push(&q, 0, 0);
	is_int(vq_should_notify(&q), 1, "interrupt wanted by default");
	is_int(vq_should_notify(&q), 0, "no interrupt when nothing new was pushed");
	w16(AVAIL, VQ_AVAIL_F_NO_INTERRUPT);
	offer(0);
	vq_pop(&q, &c);
	vq_push(&q, 0, 0);
	is_int(vq_should_notify(&q), 0, "NO_INTERRUPT suppresses");
	w16(AVAIL, 0);
	offer(0);
	vq_pop(&q, &c);
	vq_push(&q, 0, 0);
	is_int(vq_should_notify(&q), 1, "interrupt again once NO_INTERRUPT is cleared");
}

/* Pops and pushes one buffer, returning vq_should_notify(). */
static bool cycle(void)
{
	offer(0);
	vq_pop(&q, &c);
	vq_push(&q, 0, 0);
	return vq_should_notify(&q);
}

static void test_event_idx(void)
{
	uint64_t used_event = AVAIL + 4 + 2 * 8, avail_event = USED + 4 + 8 * 8;

	setup(8);
	q.event_idx = true;
	desc(0, DATA, 4, 0, 0);
	w16(used_event, 5);
	w16(AVAIL, VQ_AVAIL_F_NO_INTERRUPT); /* ignored with EVENT_IDX */
	is_int(cycle(), 1, "first push always notifies");
	is_int(cycle(), 0, "used idx 2: below used_event 5");
	is_int(cycle(), 0, "used idx 3");
	is_int(cycle(), 0, "used idx 4");
	is_int(cycle(), 0, "used idx 5");
	is_int(cycle(), 1, "used idx 6 passes used_event 5");
	is_int(cycle(), 0, "used idx 7: used_event already passed");
	w16(used_event, 7);
	is_int(cycle(), 1, "used idx 8 passes the new used_event 7");

	setup(8);
	q.event_idx = true;
	q.last_avail = q.used_idx = 65533;
	avail_idx = 65533;
	w16(AVAIL + 2, avail_idx);
	desc(0, DATA, 4, 0, 0);
	w16(used_event, 65535);
	is_int(cycle(), 1, "first push notifies (wrap test)");
	is_int(cycle(), 0, "used idx 65535");
	is_int(cycle(), 1, "used idx 0 passes used_event 65535 across the wrap");

	is_int(vq_pop(&q, &c), 0, "empty pop arms avail_event");
	is_int(r16(avail_event), 0, "avail_event = last_avail after the wrap");
	offer(0);
	offer(0);
	is_int(vq_pop(&q, &c) + vq_pop(&q, &c), 2, "two pops");
	is_int(r16(avail_event), 0, "avail_event untouched while draining");
	is_int(vq_pop(&q, &c), 0, "empty again");
	is_int(r16(avail_event), 2, "avail_event re-armed");
}

static void test_iov_copy(void)
{
	uint8_t a[3], b[5], out[8];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	is_int(vq_buf_to_iov(iov, 2, 0, "abcdefgh", 8), 8, "buf_to_iov fills both segments");
	ok(memcmp(a, "abc", 3) == 0 && memcmp(b, "defgh", 5) == 0, "bytes in order");
	is_int(vq_buf_to_iov(iov, 2, 2, "XYZ", 3), 3, "buf_to_iov with skip");
	ok(a[2] == 'X' && b[0] == 'Y' && b[1] == 'Z', "skip crosses segments");
	is_int(vq_buf_to_iov(iov, 2, 6, "0123", 4), 2, "buf_to_iov stops at the end");
	memset(out, 0, sizeof(out));
	is_int(vq_iov_to_buf(iov, 2, 1, out, sizeof(out)), 7, "iov_to_buf with skip");
	ok(memcmp(out, "bXYZf01", 7) == 0, "iov_to_buf bytes");
	is_int(vq_iov_to_buf(iov, 2, 100, out, sizeof(out)), 0, "skip past the end copies nothing");
	is_int(vq_iov_to_buf(iov, 2, 0, out, 2), 2, "len limits the copy");
}

/* Random, mostly plausible descriptors: whatever comes out of vq_pop must lie in RAM. */
static void random_desc(uint64_t table, uint16_t i, uint16_t n)
{
	static const uint16_t flag_sets[] = { 0, VQ_DESC_F_NEXT, VQ_DESC_F_WRITE,
					      VQ_DESC_F_NEXT | VQ_DESC_F_WRITE, VQ_DESC_F_INDIRECT };
	uint64_t addr = DATA + (uint64_t)(rand() % (RAM_SIZE - DATA));
	uint32_t len = rand() % 8 ? (uint32_t)(rand() % 256) : (uint32_t)rand();
	uint16_t flags = flag_sets[rand() % 5];

	if (rand() % 8 == 0)
		addr = (uint64_t)rand() << 32;
	if (flags & VQ_DESC_F_INDIRECT) {
		addr = TABLE + 16u * (uint64_t)(rand() % 64);
		len = 16u * (uint32_t)(rand() % 70) + (rand() % 8 ? 0 : 8);
	}
	desc_at(table, i, addr, len, flags, (uint16_t)(rand() % (n + 2)));
}

static bool chain_sane(void)
{
	uint64_t out = 0, in = 0;

	if (c.nr_out + c.nr_in > VQ_MAX_SEGS || c.head >= q.num)
		return false;
	for (unsigned i = 0; i < c.nr_out + c.nr_in; i++) {
		const struct iovec *v = i < c.nr_out ? &c.out[i] : &c.in[i - c.nr_out];
		uint8_t *p = v->iov_base;

		if (p < ram || v->iov_len > RAM_SIZE || p + v->iov_len > ram + RAM_SIZE)
			return false;
		*(i < c.nr_out ? &out : &in) += v->iov_len;
	}
	return out == c.out_len && in == c.in_len;
}

static void test_fuzz(void)
{
	int popped = 0, broken = 0;
	bool sane = true;

	srand(7);
	for (int round = 0; round < 3000; round++) {
		setup((uint16_t)(1u << (rand() % 7)));
		for (uint16_t i = 0; i < q.num; i++)
			random_desc(DESC, i, q.num);
		for (uint16_t i = 0; i < 128; i++)
			random_desc(TABLE, i, 64);
		for (uint16_t i = 0; i < q.num; i++)
			offer((uint16_t)(rand() % (q.num + 1)));
		for (int rc; (rc = vq_pop(&q, &c)) != 0;) {
			if (rc < 0) {
				broken++;
				break;
			}
			popped++;
			sane = sane && chain_sane();
			vq_push(&q, c.head, c.in_len);
		}
	}
	ok(sane, "every popped chain lies inside RAM and within the limits");
	ok(popped > 100 && broken > 100, "fuzzing saw good and bad chains (%d, %d)", popped, broken);
}

static void test_describe(void)
{
	char buf[256];

	setup(8);
	q.ready = false;
	vq_describe(&q, buf, sizeof(buf));
	is_str(buf, "not ready", "describe: a queue that is not ready");
	q.ready = true;
	desc(0, DATA, 10, 0, 0);
	offer(0);
	offer(0);
	w16(AVAIL + 4 + 2 * 8, 5);  /* used_event */
	w16(USED + 4 + 8 * 8, 9);   /* avail_event */
	pop_ok(1, "describe: pop one");
	is_int(vq_push(&q, 0, 0), 0, "describe: push it");
	vq_describe(&q, buf, sizeof(buf));
	is_str(buf,
	       "size 8, avail flags 0x0 idx 2 used_event 5; used flags 0x0 idx 1 avail_event 9; "
	       "ours: last_avail 1 used 1",
	       "describe: ring indices from guest memory and ours");
	q.used_gpa = RAM_SIZE - 4;
	vq_describe(&q, buf, sizeof(buf));
	is_str(buf, "rings outside guest memory", "describe: rings outside memory");
}

int main(void)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	if (!ram)
		return 1;
	test_simple();
	test_chain_and_push();
	test_unpop();
	test_wrap();
	test_bad_indices();
	test_bad_addresses();
	test_order_and_limits();
	test_indirect();
	test_indirect_bad();
	test_validate();
	test_notify_flags();
	test_event_idx();
	test_iov_copy();
	test_fuzz();
	test_describe();
	free(ram);
	return tap_done();
}
