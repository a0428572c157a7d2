/* Split virtqueues (virtio 1.2, 2.7): walking the descriptor chains a hostile guest
 * offers, returning them through the used ring, and notification suppression.
 *
 * Rules this file keeps:
 * - Ring addresses are translated as whole rings with mem_ptr() on every call, so no
 *   guest address is ever offset by hand and a ring never straddles two regions;
 *   descriptor buffers and indirect tables are translated the same way.
 * - Every guest value is read once: descriptors are copied to the stack behind a
 *   compiler barrier and only the copy is checked and used (no double fetch).
 * - Zero-length descriptors are skipped: they add no segment, and their flags other
 *   than NEXT (including WRITE, for the readable/writable order rule) are ignored.
 * - INDIRECT is accepted whether or not VIRTIO_F_RING_INDIRECT_DESC was negotiated
 *   (the queue does not know the features); it is harmless and validated the same.
 *   An indirect descriptor must be the last of its chain (no NEXT, spec 2.7.5.3.1)
 *   and its table holds at most VQ_MAX_SIZE descriptors.
 * - With EVENT_IDX, avail_event is written only when vq_pop finds the ring empty
 *   (then re-checked after a full barrier), so a device that is draining the ring
 *   is not kicked for every buffer. Back-ends must therefore pop until 0.
 */
#include "vmm/virtio/queue.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* A descriptor as laid out in guest memory (little-endian). */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

_Static_assert(sizeof(struct vq_desc) == 16, "descriptor layout");

/* Host views of the three rings of a queue, each translated as one block. */
struct vq_rings {
	const uint8_t *desc;
	uint16_t *avail; /* flags, idx, ring[num], used_event */
	uint8_t *used;   /* flags, idx, {id, len}[num], avail_event */
};

#define VQ_USED_RING_OFF 4
#define VQ_USED_ELEM_SIZE 8

static uint64_t vq_desc_size(uint16_t num)
{
	return 16ull * num;
}

static uint64_t vq_avail_size(uint16_t num)
{
	return 6ull + 2ull * num;
}

static uint64_t vq_used_size(uint16_t num)
{
	return 6ull + 8ull * num;
}

static bool vq_num_ok(uint16_t num)
{
	return num != 0 && num <= VQ_MAX_SIZE && (num & (num - 1)) == 0;
}

/* Translates the rings of q. Checked on every use rather than cached, because the
 * driver may rewrite addresses and sizes until the queue is ready and a back-end
 * may pop before vq_validate ran. */
static int vq_rings(const struct vq *q, struct vq_rings *r)
{
	if (!q->mem || !vq_num_ok(q->num))
		return -EINVAL;
	if (q->desc_gpa % 16 || q->avail_gpa % 2 || q->used_gpa % 4)
		return -EINVAL;
	r->desc = mem_ptr(q->mem, q->desc_gpa, vq_desc_size(q->num));
	r->avail = mem_ptr(q->mem, q->avail_gpa, vq_avail_size(q->num));
	r->used = mem_ptr(q->mem, q->used_gpa, vq_used_size(q->num));
	if (!r->desc || !r->avail || !r->used)
		return -EINVAL;
	return 0;
}

static int vq_break(struct vq *q)
{
	q->broken = true;
	return -EINVAL;
}

/* Acquire: ring entries the driver wrote before bumping idx must be visible. */
static uint16_t vq_avail_idx(const struct vq_rings *r)
{
	return le16toh(__atomic_load_n(&r->avail[1], __ATOMIC_ACQUIRE));
}

static uint16_t vq_avail_entry(const struct vq *q, const struct vq_rings *r, uint16_t i)
{
	return le16toh(__atomic_load_n(&r->avail[2 + (i & (q->num - 1))], __ATOMIC_RELAXED));
}

static uint16_t *vq_avail_event(const struct vq *q, const struct vq_rings *r)
{
	return (uint16_t *)(r->used + VQ_USED_RING_OFF + VQ_USED_ELEM_SIZE * (size_t)q->num);
}

static void vq_read_desc(const uint8_t *table, uint32_t i, struct vq_desc *d)
{
	memcpy(d, table + 16 * (size_t)i, sizeof(*d));
	/* The guest may rewrite the descriptor under us; forbid the compiler from
	 * re-reading guest memory instead of the checked stack copy. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Appends one buffer descriptor to the chain. */
static int vq_add_seg(const struct vq *q, struct vq_chain *c, const struct vq_desc *d)
{
	struct iovec *iov;
	void *p;

	if (d->len == 0)
		return 0;
	if (c->nr_out + c->nr_in >= VQ_MAX_SEGS)
		return -EINVAL;
	if ((uint64_t)c->out_len + c->in_len + d->len > UINT32_MAX)
		return -EINVAL;
	p = mem_ptr(q->mem, d->addr, d->len);
	if (!p)
		return -EINVAL;
	if (d->flags & VQ_DESC_F_WRITE) {
		iov = &c->in[c->nr_in++];
		c->in_len += d->len;
	} else {
		/* Spec 2.7.4.2: readable descriptors come before writable ones. */
		if (c->nr_in)
			return -EINVAL;
		iov = &c->out[c->nr_out++];
		c->out_len += d->len;
	}
	iov->iov_base = p;
	iov->iov_len = d->len;
	return 0;
}

static int vq_walk_table(const struct vq *q, const uint8_t *table, uint32_t n, uint16_t i,
			 bool indirect, struct vq_chain *c);

static int vq_walk_indirect(const struct vq *q, const struct vq_desc *d, struct vq_chain *c)
{
	const uint8_t *table;

	/* The write flag of the descriptor naming the table is ignored (2.7.5.3.2). */
	if (d->flags & VQ_DESC_F_NEXT)
		return -EINVAL;
	if (d->len == 0 || d->len % 16 || d->len / 16 > VQ_MAX_SIZE)
		return -EINVAL;
	table = mem_ptr(q->mem, d->addr, d->len);
	if (!table)
		return -EINVAL;
	return vq_walk_table(q, table, d->len / 16, 0, true, c);
}

/* Follows a chain through one table (the ring's, of n = num entries, or an indirect
 * one) starting at i < n. A chain visiting more than n descriptors must loop. */
static int vq_walk_table(const struct vq *q, const uint8_t *table, uint32_t n, uint16_t i,
			 bool indirect, struct vq_chain *c)
{
	struct vq_desc d;
	int err;

	for (uint32_t steps = 0;; steps++) {
		if (steps >= n)
			return -EINVAL;
		vq_read_desc(table, i, &d);
		if (d.flags & VQ_DESC_F_INDIRECT) {
			if (indirect)
				return -EINVAL;
			return vq_walk_indirect(q, &d, c);
		}
		err = vq_add_seg(q, c, &d);
		if (err)
			return err;
		if (!(d.flags & VQ_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return -EINVAL;
		i = d.next;
	}
}

void vq_reset(struct vq *q, const struct guest_mem *mem)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

int vq_validate(struct vq *q)
{
	struct vq_rings r;

	if (!q->ready)
		return -EINVAL;
	return vq_rings(q, &r);
}

/* Returns the avail index, first asking the driver (EVENT_IDX) to kick us for the
 * next buffer if the ring looks empty, then looking again: a buffer added before
 * the driver could see avail_event would otherwise sit unnoticed. */
static uint16_t vq_avail_idx_arm(struct vq *q, const struct vq_rings *r)
{
	uint16_t idx = vq_avail_idx(r);

	if (idx != q->last_avail || !q->event_idx)
		return idx;
	__atomic_store_n(vq_avail_event(q, r), htole16(q->last_avail), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_avail_idx(r);
}

int vq_pop(struct vq *q, struct vq_chain *c)
{
	struct vq_rings r;
	uint16_t idx, head;

	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return 0;
	if (vq_rings(q, &r))
		return vq_break(q);
	idx = vq_avail_idx_arm(q, &r);
	if (idx == q->last_avail)
		return 0;
	/* The driver can never have more than num buffers outstanding. */
	if ((uint16_t)(idx - q->last_avail) > q->num)
		return vq_break(q);
	head = vq_avail_entry(q, &r, q->last_avail);
	if (head >= q->num)
		return vq_break(q);
	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_len = c->in_len = 0;
	if (vq_walk_table(q, r.desc, q->num, head, false, c))
		return vq_break(q);
	q->last_avail++;
	return 1;
}

void vq_unpop(struct vq *q)
{
	q->last_avail--;
}

int vq_push(struct vq *q, uint16_t head, uint32_t written)
{
	struct vq_rings r;
	uint8_t *elem;

	if (q->broken || !q->ready || vq_rings(q, &r) || head >= q->num)
		return -EINVAL;
	elem = r.used + VQ_USED_RING_OFF + VQ_USED_ELEM_SIZE * (size_t)(q->used_idx & (q->num - 1));
	__atomic_store_n((uint32_t *)elem, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n((uint32_t *)(elem + 4), htole32(written), __ATOMIC_RELAXED);
	q->used_idx++;
	/* Release: the element must be visible before the driver sees the new idx. */
	__atomic_store_n((uint16_t *)(r.used + 2), htole16(q->used_idx), __ATOMIC_RELEASE);
	return 0;
}

/* virtio 1.2, 2.7.10: true if event lies in (old, new], computed wrap-safe in 16 bits. */
static bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool vq_should_notify(struct vq *q)
{
	struct vq_rings r;
	uint16_t old_idx = q->signalled_used, flags, event;
	bool valid = q->signalled_used_valid;

	if (q->broken || !q->ready || vq_rings(q, &r))
		return false;
	/* Our used idx store must be globally visible before we read the driver's
	 * suppression state, or both sides can decide the other will act. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = q->used_idx;
	q->signalled_used_valid = true;
	if (valid && old_idx == q->used_idx)
		return false;
	if (!q->event_idx) {
		flags = le16toh(__atomic_load_n(&r.avail[0], __ATOMIC_RELAXED));
		return !(flags & VQ_AVAIL_F_NO_INTERRUPT);
	}
	event = le16toh(__atomic_load_n(&r.avail[2 + q->num], __ATOMIC_RELAXED));
	return !valid || vq_need_event(event, q->used_idx, old_idx);
}

bool vq_has_avail(const struct vq *q)
{
	struct vq_rings r;

	if (q->broken || !q->ready || vq_rings(q, &r))
		return false;
	return vq_avail_idx(&r) != q->last_avail;
}

/* One walk for both directions: to_iov copies buf into the chain, else the chain
 * into buf. */
static size_t vq_copy(const struct iovec *iov, unsigned n, size_t skip, uint8_t *buf, size_t len,
		      bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t seg = iov[i].iov_len;
		uint8_t *guest;

		if (skip >= seg) {
			skip -= seg;
			continue;
		}
		guest = (uint8_t *)iov[i].iov_base + skip;
		seg -= skip;
		if (seg > len - done)
			seg = len - done;
		if (to_iov)
			memcpy(guest, buf + done, seg);
		else
			memcpy(buf + done, guest, seg);
		done += seg;
		skip = 0;
	}
	return done;
}

size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return vq_copy(iov, n, skip, buf, len, false);
}

size_t vq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len)
{
	return vq_copy(iov, n, skip, (uint8_t *)buf, len, true);
}

int vq_describe(const struct vq *q, char *buf, size_t len)
{
	struct vq_rings r;
	uint16_t used_flags, used_idx, used_event;

	if (!q->ready)
		return snprintf(buf, len, "not ready");
	if (vq_rings(q, &r))
		return snprintf(buf, len, "rings outside guest memory");
	memcpy(&used_flags, r.used, 2);
	memcpy(&used_idx, r.used + 2, 2);
	used_event = le16toh(__atomic_load_n(&r.avail[2 + q->num], __ATOMIC_RELAXED));
	return snprintf(buf, len,
			"size %u, avail flags 0x%x idx %u used_event %u; used flags 0x%x idx %u "
			"avail_event %u; ours: last_avail %u used %u",
			q->num, le16toh(r.avail[0]), vq_avail_idx(&r), used_event,
			le16toh(used_flags), le16toh(used_idx),
			le16toh(*vq_avail_event(q, &r)), q->last_avail, q->used_idx);
}
