/* A virtio device as the transport sees it, and the virtio-mmio (version 2)
 * transport: register file, feature negotiation, device status, queue setup and
 * interrupt status. A device back-end fills in struct virtio_dev and an ops table;
 * the transport calls back on queue notify, activation (DRIVER_OK) and reset.
 *
 * Threads: register accesses arrive on vCPU threads, queue work runs on the main
 * event loop. `lock` serialises the two; ops are called with it held. */
#ifndef RUNVM_VMM_VIRTIO_VIRTIO_H
#define RUNVM_VMM_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/mem.h"
#include "vmm/virtio/queue.h"

/* Device status bits (virtio 1.2, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Feature bits every device of ours offers or understands. */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device IDs. */
#define VIRTIO_ID_VSOCK 19
#define VIRTIO_ID_FS 26

/* virtio-mmio register offsets (virtio 1.2, 4.2.2). */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_VENDOR_ID 0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_AVAIL_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_USED_HIGH 0x0a4
#define VIRTIO_MMIO_SHM_SEL 0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW 0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH 0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW 0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH 0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100
#define VIRTIO_MMIO_SIZE 0x1000

#define VIRTIO_MMIO_INT_VRING 1
#define VIRTIO_MMIO_INT_CONFIG 2

#define VIRTIO_MAX_QUEUES 8

struct virtio_dev;

struct virtio_dev_ops {
	/* Config space access; off+len is already checked against config_len. */
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len);
	/* The driver set DRIVER_OK: queues are configured. Non-zero fails the device
	 * (status gets NEEDS_RESET). */
	int (*activate)(struct virtio_dev *d);
	/* The driver wrote 0 to Status: drop all queue state. */
	void (*reset)(struct virtio_dev *d);
	/* Queue `q` was kicked (an MMIO QueueNotify write, or its ioeventfd). */
	void (*notify)(struct virtio_dev *d, unsigned q);
	/* Optional, for devices whose queues are served by another process
	 * (vhost-user): called once per queue at attach time with the queue's
	 * ioeventfd, which the device hands on as the back-end's kick fd. The fd stays
	 * owned by the transport; the event loop then does not watch it, so kicks go
	 * from KVM to the back-end without passing through the VMM. */
	void (*take_kick_fd)(struct virtio_dev *d, unsigned q, int fd);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	void *priv;                   /* the back-end's own state */
	const char *name;             /* for logs: "vsock", "fs" */
	uint32_t device_id;
	uint64_t host_features;       /* offered */
	uint64_t acked_features;      /* accepted by the driver */
	uint32_t config_len;          /* bytes of device config space */
	unsigned nr_queues;
	struct vq vqs[VIRTIO_MAX_QUEUES];
	const struct guest_mem *mem;
	pthread_mutex_t lock;

	/* Transport state. */
	uint64_t mmio_base;           /* guest-physical base of the 4 KiB window */
	unsigned irq;                 /* GSI */
	uint32_t status;
	uint32_t isr;                 /* InterruptStatus */
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint32_t config_generation;

	/* Raises the device's interrupt line (set by the VMM: irqfd or
	 * KVM_IRQ_LINE; a counter in unit tests). */
	void (*raise_irq)(struct virtio_dev *d);
	void *irq_arg;

	/* Direct interrupts, for devices whose rings another process serves: the
	 * device sets direct_irq before it is attached; the VMM then puts its irqfd
	 * in irq_eventfd (-1 otherwise) and completes InterruptStatus acknowledgements
	 * in KVM. The device hands irq_eventfd to its back-end and sets isr_sticky to
	 * the bits InterruptStatus always shows while it does. */
	bool direct_irq;
	int irq_eventfd;
	uint32_t isr_sticky;
};

/* Initialises transport state; the back-end sets ops, features, queues first. */
int virtio_dev_init(struct virtio_dev *d, const struct guest_mem *mem, uint64_t mmio_base,
		    unsigned irq);
void virtio_dev_fini(struct virtio_dev *d);

/* MMIO register access at `off` within the device window (vCPU threads). Bad
 * offsets and widths read as 0 / are ignored; they are the guest's problem. */
void virtio_mmio_read(struct virtio_dev *d, uint64_t off, void *data, unsigned len);
void virtio_mmio_write(struct virtio_dev *d, uint64_t off, const void *data, unsigned len);

/* Called by a back-end after vq_push()es on queue q: sets the used-buffer bit and
 * raises the interrupt if the driver wants one. Call with d->lock held. */
void virtio_notify_used(struct virtio_dev *d, unsigned q);
/* Config space changed: bump generation and raise a config interrupt. */
void virtio_notify_config(struct virtio_dev *d);
/* A back-end hit a fatal error: set NEEDS_RESET and tell the driver. */
void virtio_dev_fail(struct virtio_dev *d);

/* True once the driver has set DRIVER_OK and the device did not fail. */
bool virtio_dev_active(const struct virtio_dev *d);

/* The kernel command line fragment announcing this device:
 * "virtio_mmio.device=4K@0xBASE:IRQ". */
int virtio_mmio_cmdline(const struct virtio_dev *d, char *buf, unsigned len);

#endif
