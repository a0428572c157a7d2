/* Wiring a virtio-mmio device into the VM: its 4 KiB register window on the MMIO
 * bus, one ioeventfd per queue (kicks never leave the kernel on the vCPU side),
 * an irqfd for its interrupt, and its entry on the kernel command line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/vmm.h"

static void vmm_virtio_mmio_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	virtio_mmio_read(opaque, off, data, len);
}

static void vmm_virtio_mmio_write(void *opaque, uint64_t off, void *data, unsigned len)
{
	virtio_mmio_write(opaque, off, data, len);
}

/* The guest kicked queue q: runs on the event loop. */
static void vmm_virtio_kick(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vmm_virtio *vv = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	for (unsigned q = 0; q < vv->dev->nr_queues; q++) {
		if (vv->notify_fd[q] != fd)
			continue;
		pthread_mutex_lock(&vv->dev->lock);
		if (virtio_dev_active(vv->dev) && vv->dev->ops->notify)
			vv->dev->ops->notify(vv->dev, q);
		pthread_mutex_unlock(&vv->dev->lock);
	}
}

static void vmm_virtio_raise(struct virtio_dev *d)
{
	const struct vmm_virtio *vv = d->irq_arg;
	uint64_t one = 1;

	(void)!write(vv->irq_fd, &one, sizeof(one));
}

/* A device whose back-end raises the irqfd itself (d->direct_irq) keeps its
 * InterruptStatus bits set, so the driver's acknowledgement has nothing to clear:
 * an ioeventfd completes that write in KVM, saving the vCPU a trip to us for every
 * interrupt. Its counter is never read: it grows by one per interrupt. */
static int vmm_virtio_direct_irq(struct vmm *v, struct vmm_virtio *vv)
{
	struct kvm_ioeventfd io = {
		.addr = vv->dev->mmio_base + VIRTIO_MMIO_INTERRUPT_ACK,
		.len = 4,
	};

	vv->ack_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vv->ack_fd < 0)
		return -errno;
	io.fd = vv->ack_fd;
	if (ioctl(v->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	vv->dev->irq_eventfd = vv->irq_fd;
	return 0;
}

static int vmm_virtio_eventfds(struct vmm *v, struct vmm_virtio *vv)
{
	struct virtio_dev *d = vv->dev;
	struct kvm_irqfd irqfd = { .gsi = d->irq };

	vv->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vv->irq_fd < 0)
		return -errno;
	irqfd.fd = (uint32_t)vv->irq_fd;
	if (ioctl(v->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return -errno;
	if (d->direct_irq) {
		int ret = vmm_virtio_direct_irq(v, vv);

		if (ret)
			return ret;
	}
	for (unsigned q = 0; q < d->nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.addr = d->mmio_base + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.datamatch = q,
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};
		int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

		if (fd < 0)
			return -errno;
		vv->notify_fd[q] = fd;
		io.fd = fd;
		if (ioctl(v->vm_fd, KVM_IOEVENTFD, &io) < 0)
			return -errno;
		if (d->ops->take_kick_fd) {
			d->ops->take_kick_fd(d, q, fd);
			continue;
		}
		int ret = ev_add(v->loop, fd, EPOLLIN, vmm_virtio_kick, vv);

		if (ret)
			return ret;
	}
	return 0;
}

int vmm_add_virtio(struct vmm *v, struct virtio_dev *d)
{
	char frag[64];
	int ret;

	if (v->nr_virtio == VMM_MAX_VIRTIO)
		return -ENOSPC;
	struct vmm_virtio *vv = &v->virtio[v->nr_virtio++];

	vv->dev = d;
	vv->irq_fd = -1;
	vv->ack_fd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vv->notify_fd[q] = -1;
	ret = virtio_dev_init(d, &v->mem, VMM_VIRTIO_MMIO_BASE + (v->nr_virtio - 1) * 0x1000ull,
			      VMM_VIRTIO_IRQ_BASE + v->nr_virtio - 1);
	if (ret)
		return ret;
	vv->inited = true;
	d->raise_irq = vmm_virtio_raise;
	d->irq_arg = vv;
	ret = bus_register(&v->mmio, d->mmio_base, VIRTIO_MMIO_SIZE, vmm_virtio_mmio_read,
			   vmm_virtio_mmio_write, d);
	if (!ret)
		ret = vmm_virtio_eventfds(v, vv);
	if (ret) {
		log_error("virtio-%s device: %s", d->name, strerror(-ret));
		return ret;
	}
	virtio_mmio_cmdline(d, frag, sizeof(frag));
	return vmm_cmdline_append(v, frag);
}
