/* Split virtqueues (virtio 1.2, 2.7): walking descriptor chains the guest offers
 * and returning them as used. Everything read from the guest is validated: a
 * malformed ring makes vq_pop fail and marks the queue broken, never a host crash.
 * No allocation here: chains are returned in caller-provided storage. */
#ifndef RUNVM_VMM_VIRTIO_QUEUE_H
#define RUNVM_VMM_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/mem.h"

#define VQ_MAX_SIZE 1024  /* largest queue size we offer (QueueNumMax) */
#define VQ_MAX_SEGS 64    /* largest chain we accept (direct + indirect) */

/* Descriptor flags and ring flags as in the spec. */
#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2
#define VQ_DESC_F_INDIRECT 4
#define VQ_AVAIL_F_NO_INTERRUPT 1
#define VQ_USED_F_NO_NOTIFY 1

struct vq {
	const struct guest_mem *mem;
	uint16_t num;         /* queue size set by the driver (power of two) */
	bool ready;           /* QueueReady */
	bool broken;          /* set on a malformed ring; the device needs a reset */
	bool event_idx;       /* VIRTIO_F_EVENT_IDX negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;  /* next avail ring index we consume */
	uint16_t used_idx;    /* our copy of used->idx */
	uint16_t signalled_used;      /* used_idx at the last interrupt (event_idx) */
	bool signalled_used_valid;
};

/* One descriptor chain: the device-readable segments first (out, driver->device),
 * then the device-writable ones (in, device->driver), as the spec requires. */
struct vq_chain {
	uint16_t head;
	uint16_t nr_out, nr_in;
	uint32_t out_len, in_len;  /* byte totals */
	struct iovec out[VQ_MAX_SEGS];
	struct iovec in[VQ_MAX_SEGS];
};

/* The ring indices and flags in guest memory, and ours, in words (for the
 * VMM's state dump; a back-end in another process has its own "ours"). */
int vq_describe(const struct vq *q, char *buf, size_t len);

/* Resets to the state after device reset (not ready, no addresses). */
void vq_reset(struct vq *q, const struct guest_mem *mem);

/* Checks that a ready queue's rings fit in guest memory. 0 or -EINVAL. */
int vq_validate(struct vq *q);

/* Takes the next available chain. 1: *c filled; 0: nothing available;
 * -EINVAL: the ring or chain is malformed (q->broken is set). */
int vq_pop(struct vq *q, struct vq_chain *c);

/* Undoes the last vq_pop (the device could not process it yet). */
void vq_unpop(struct vq *q);

/* Returns chain `head` to the driver with `written` bytes written into its in
 * segments. 0 or -EINVAL (bad head). */
int vq_push(struct vq *q, uint16_t head, uint32_t written);

/* True if the driver wants an interrupt for what was pushed since the last
 * call that returned true (honours NO_INTERRUPT and EVENT_IDX). */
bool vq_should_notify(struct vq *q);

/* True if the driver has offered chains we have not popped. */
bool vq_has_avail(const struct vq *q);

/* Copy helpers across a chain's iovecs; return bytes copied. */
size_t vq_iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
size_t vq_buf_to_iov(const struct iovec *iov, unsigned n, size_t skip, const void *buf, size_t len);

#endif
