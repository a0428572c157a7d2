/* The virtio-mmio transport, version 2 (virtio 1.2, 4.2): the register file a
 * guest driver programs, feature negotiation, the device status state machine,
 * queue setup and the interrupt status register. Everything written here comes from
 * a hostile guest: bad offsets, widths, values and orders are ignored, never trusted.
 *
 * Feature bits the driver writes are collected unmasked until it sets FEATURES_OK;
 * FEATURES_OK is only accepted if they are a subset of what we offered and include
 * VERSION_1, so after a successful negotiation acked_features holds offered bits only.
 * QueueNotify is only passed to the back-end once the device is active (the driver
 * must not notify before DRIVER_OK, 3.1.1, and back-ends set up state in activate). */
#include "vmm/virtio/virtio.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976u /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2u
#define VIRTIO_MMIO_VENDOR 0x4d565552u /* "RUVM" */

/* Status bits a driver may set; NEEDS_RESET belongs to the device. */
#define VIRTIO_STATUS_DRIVER_BITS                                                                  \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |           \
	 VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED)

int virtio_dev_init(struct virtio_dev *d, const struct guest_mem *mem, uint64_t mmio_base,
		    unsigned irq)
{
	int err;

	if (!d->ops || !mem || d->nr_queues > VIRTIO_MAX_QUEUES ||
	    d->config_len > VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)
		return -EINVAL;
	err = pthread_mutex_init(&d->lock, NULL);
	if (err)
		return -err;
	d->mem = mem;
	d->mmio_base = mmio_base;
	d->irq = irq;
	d->host_features |= 1ull << VIRTIO_F_VERSION_1;
	d->acked_features = 0;
	d->status = 0;
	d->isr = 0;
	d->irq_eventfd = -1;
	d->isr_sticky = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->config_generation = 0;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->vqs[i], mem);
	return 0;
}

void virtio_dev_fini(struct virtio_dev *d)
{
	pthread_mutex_destroy(&d->lock);
}

bool virtio_dev_active(const struct virtio_dev *d)
{
	return (d->status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(d->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}

static void virtio_raise(struct virtio_dev *d, uint32_t why)
{
	d->isr |= why;
	if (d->raise_irq)
		d->raise_irq(d);
}

void virtio_notify_used(struct virtio_dev *d, unsigned q)
{
	if (q >= d->nr_queues)
		return;
	if (vq_should_notify(&d->vqs[q]))
		virtio_raise(d, VIRTIO_MMIO_INT_VRING);
}

void virtio_notify_config(struct virtio_dev *d)
{
	d->config_generation++;
	virtio_raise(d, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_fail(struct virtio_dev *d)
{
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: once DRIVER_OK is set, NEEDS_RESET is announced as a config change. */
	if (d->status & VIRTIO_STATUS_DRIVER_OK)
		virtio_raise(d, VIRTIO_MMIO_INT_CONFIG);
}

int virtio_mmio_cmdline(const struct virtio_dev *d, char *buf, unsigned len)
{
	int n;

	if (!buf || len == 0)
		return -EINVAL;
	n = snprintf(buf, len, "virtio_mmio.device=4K@0x%llx:%u", (unsigned long long)d->mmio_base,
		     d->irq);
	if (n < 0 || (unsigned)n >= len)
		return -ENOSPC;
	return 0;
}

static struct vq *virtio_sel_vq(struct virtio_dev *d)
{
	return d->queue_sel < d->nr_queues ? &d->vqs[d->queue_sel] : NULL;
}

static void virtio_reset(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vq_reset(&d->vqs[i], d->mem);
	d->isr = 0;
	d->isr_sticky = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->acked_features = 0;
	d->status = 0;
}

static bool virtio_features_ok(const struct virtio_dev *d)
{
	if (d->acked_features & ~d->host_features)
		return false;
	return d->acked_features & (1ull << VIRTIO_F_VERSION_1);
}

static void virtio_activate(struct virtio_dev *d)
{
	for (unsigned i = 0; i < d->nr_queues; i++) {
		if (d->vqs[i].ready && vq_validate(&d->vqs[i])) {
			virtio_dev_fail(d);
			return;
		}
	}
	if (d->ops->activate && d->ops->activate(d))
		virtio_dev_fail(d);
}

/* Status bits only accumulate (a reset is the way back), each step needs the one
 * before it (3.1.1), and FEATURES_OK is refused when negotiation failed. */
static void virtio_write_status(struct virtio_dev *d, uint32_t v)
{
	uint32_t next, added;

	if (v == 0) {
		virtio_reset(d);
		return;
	}
	next = (v & VIRTIO_STATUS_DRIVER_BITS) | (d->status & VIRTIO_STATUS_NEEDS_RESET);
	if ((next & d->status) != d->status)
		return;
	if ((next & VIRTIO_STATUS_DRIVER) && !(next & VIRTIO_STATUS_ACKNOWLEDGE))
		return;
	if ((next & VIRTIO_STATUS_FEATURES_OK) && !(next & VIRTIO_STATUS_DRIVER))
		return;
	added = next & ~d->status;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !virtio_features_ok(d)) {
		next &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
		added &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;
	}
	if ((next & VIRTIO_STATUS_DRIVER_OK) && !(next & VIRTIO_STATUS_FEATURES_OK))
		return;
	d->status = next;
	if ((added & VIRTIO_STATUS_DRIVER_OK) && virtio_dev_active(d))
		virtio_activate(d);
}

static void virtio_write_features(struct virtio_dev *d, uint32_t v)
{
	/* The feature set is frozen once FEATURES_OK was accepted. */
	if (d->status & VIRTIO_STATUS_FEATURES_OK)
		return;
	if (d->drv_features_sel == 0)
		d->acked_features = (d->acked_features & ~0xffffffffull) | v;
	else if (d->drv_features_sel == 1)
		d->acked_features = (d->acked_features & 0xffffffffull) | ((uint64_t)v << 32);
}

static void virtio_set_half(uint64_t *addr, uint32_t v, bool high)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static void virtio_write_queue_ready(struct virtio_dev *d, struct vq *q, uint32_t v)
{
	if (v == 0) {
		q->ready = false;
		return;
	}
	/* Queues are set up after negotiation (3.1.1), so EVENT_IDX is final here. */
	if (v != 1 || q->ready || !(d->status & VIRTIO_STATUS_FEATURES_OK))
		return;
	q->event_idx = d->acked_features & d->host_features & (1ull << VIRTIO_F_RING_EVENT_IDX);
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_used_valid = false;
	q->ready = true;
}

/* Registers that act on the queue selected by QueueSel. */
static void virtio_write_queue(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	struct vq *q = virtio_sel_vq(d);

	if (!q)
		return;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		virtio_write_queue_ready(d, q, v);
		return;
	}
	if (q->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v && v <= VQ_MAX_SIZE && (v & (v - 1)) == 0)
			q->num = (uint16_t)v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_set_half(&q->desc_gpa, v, off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		virtio_set_half(&q->avail_gpa, v, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_set_half(&q->used_gpa, v, off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		break;
	}
}

static void virtio_write_reg(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		d->dev_features_sel = v;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_write_features(d, v);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		d->drv_features_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (v < d->nr_queues && virtio_dev_active(d) && d->ops->notify)
			d->ops->notify(d, v);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		d->isr &= ~v;
		break;
	case VIRTIO_MMIO_STATUS:
		virtio_write_status(d, v);
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_write_queue(d, off, v);
		break;
	}
}

static uint32_t virtio_read_reg(struct virtio_dev *d, uint64_t off)
{
	struct vq *q = virtio_sel_vq(d);

	switch (off) {
	case VIRTIO_MMIO_MAGIC:
		return VIRTIO_MMIO_MAGIC_VALUE;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return d->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (d->dev_features_sel > 1)
			return 0;
		return (uint32_t)(d->host_features >> (32 * d->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? VQ_MAX_SIZE : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return d->isr | (virtio_dev_active(d) ? d->isr_sticky : 0);
	case VIRTIO_MMIO_STATUS:
		return d->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
		/* 4.2.2: a region we do not have reads as length -1. */
		return 0xffffffffu;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return d->config_generation;
	}
	return 0;
}

/* Config space offset for an access, or -1 if it is not entirely inside it. */
static int64_t virtio_config_off(const struct virtio_dev *d, uint64_t off, unsigned len)
{
	uint64_t coff;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return -1;
	if (off < VIRTIO_MMIO_CONFIG)
		return -1;
	coff = off - VIRTIO_MMIO_CONFIG;
	if (coff > d->config_len || len > d->config_len - coff)
		return -1;
	return (int64_t)coff;
}

void virtio_mmio_read(struct virtio_dev *d, uint64_t off, void *data, unsigned len)
{
	int64_t coff;
	uint32_t v;

	memset(data, 0, len);
	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		coff = virtio_config_off(d, off, len);
		if (coff >= 0 && d->ops->config_read)
			d->ops->config_read(d, (uint32_t)coff, data, len);
	} else if (len == 4 && off % 4 == 0) {
		v = htole32(virtio_read_reg(d, off));
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&d->lock);
}

void virtio_mmio_write(struct virtio_dev *d, uint64_t off, const void *data, unsigned len)
{
	int64_t coff;
	uint32_t v;

	pthread_mutex_lock(&d->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		coff = virtio_config_off(d, off, len);
		if (coff >= 0 && d->ops->config_write)
			d->ops->config_write(d, (uint32_t)coff, data, len);
	} else if (len == 4 && off % 4 == 0) {
		memcpy(&v, data, 4);
		virtio_write_reg(d, off, le32toh(v));
	}
	pthread_mutex_unlock(&d->lock);
}
