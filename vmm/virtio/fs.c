/* The virtio-fs device: config space, feature selection, and starting and stopping
 * the back-end's rings when the driver activates or resets the device. The rings
 * themselves are never touched here; see fs.h for how kicks and calls flow. */
#include "vmm/virtio/fs.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/vhost_user.h"

/* Ring features the back-end implements and we may pass through to the driver:
 * the transport is only a go-between for them. */
#define FS_RING_FEATURES ((1ull << VIRTIO_F_RING_INDIRECT_DESC) | (1ull << VIRTIO_F_RING_EVENT_IDX))
#define FS_WANT_PROTOCOL ((1ull << VHU_PROTOCOL_F_REPLY_ACK) | (1ull << VHU_PROTOCOL_F_MQ))

struct fs_dev {
	struct virtio_dev dev;
	struct vhu vhu;
	struct ev_loop *loop;
	const struct guest_mem *mem;
	uint8_t config[FS_CONFIG_LEN];
	int kick_fd[VIRTIO_MAX_QUEUES];    /* the transport's ioeventfds, or our own */
	bool own_kick[VIRTIO_MAX_QUEUES];
	int call_fd;                       /* shared by all queues: one interrupt line */
	bool sock_watched;
	char tag[FS_TAG_MAX + 1];
	char backend[128];
	void (*gone)(void *arg);
	void *gone_arg;
};

static struct fs_dev *fs_of(struct virtio_dev *d)
{
	return d->priv;
}

int fs_check_tag(const char *tag)
{
	size_t n = tag ? strlen(tag) : 0;

	return n == 0 || n > FS_TAG_MAX ? -EINVAL : 0;
}

static void fs_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, fs_of(d)->config + off, len);
}

/* Translates a ring's guest-physical address to ours: the back-end maps RAM from
 * the memory table and expects our virtual addresses for the rings. */
static uint64_t fs_ring_va(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	void *p = mem_ptr(m, gpa, len);

	return p ? (uint64_t)(uintptr_t)p : 0;
}

/* The back-end raises the guest's interrupt through KVM's irqfd when the VMM gave
 * us one (InterruptStatus then always shows the used-buffer bit); otherwise through
 * our call eventfd and the event loop. */
static int fs_call_fd(struct fs_dev *f)
{
	return f->dev.irq_eventfd >= 0 ? f->dev.irq_eventfd : f->call_fd;
}

static int fs_start_queue(struct fs_dev *f, unsigned q)
{
	const struct vq *vq = &f->dev.vqs[q];
	struct vhu_vring r = {
		.index = q,
		.num = vq->num,
		.base = vq->last_avail,
		.desc = fs_ring_va(f->mem, vq->desc_gpa, 16ull * vq->num),
		.avail = fs_ring_va(f->mem, vq->avail_gpa, 6 + 2ull * vq->num),
		.used = fs_ring_va(f->mem, vq->used_gpa, 6 + 8ull * vq->num),
		.call_fd = fs_call_fd(f),
	};

	if (!r.desc || !r.avail || !r.used)
		return -EINVAL;
	if (f->kick_fd[q] < 0) {
		/* No ioeventfd from the transport (unit tests): kicks come through
		 * ops->notify, which signals this one. */
		f->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->kick_fd[q] < 0)
			return -errno;
		f->own_kick[q] = true;
	}
	r.kick_fd = f->kick_fd[q];
	return vhu_start_vring(&f->vhu, &r);
}

static void fs_stop_queues(struct fs_dev *f)
{
	for (unsigned q = 0; q < f->dev.nr_queues; q++) {
		if (!(f->vhu.running & (1u << q)))
			continue;
		int ret = vhu_stop_vring(&f->vhu, q, NULL);

		if (ret)
			log_warn("virtio-fs '%s': stopping queue %u in %s: %s", f->tag, q,
				 f->backend, strerror(-ret));
	}
}

static int fs_activate(struct virtio_dev *d)
{
	struct fs_dev *f = fs_of(d);
	const char *step = "SET_FEATURES";
	int ret;

	/* A driver re-activating without a reset first: start from a clean slate. */
	fs_stop_queues(f);
	d->isr_sticky = d->irq_eventfd >= 0 ? VIRTIO_MMIO_INT_VRING : 0;
	ret = vhu_set_features(&f->vhu, d->acked_features);
	if (!ret) {
		step = "SET_MEM_TABLE";
		ret = vhu_set_mem_table(&f->vhu, f->mem);
	}
	for (unsigned q = 0; !ret && q < d->nr_queues; q++) {
		step = "starting a queue";
		if (d->vqs[q].ready)
			ret = fs_start_queue(f, q);
	}
	if (ret) {
		log_error("virtio-fs '%s': %s in %s failed: %s", f->tag, step, f->backend,
			  strerror(-ret));
		fs_stop_queues(f);
	}
	return ret;
}

static void fs_reset(struct virtio_dev *d)
{
	fs_stop_queues(fs_of(d));
}

static void fs_notify(struct virtio_dev *d, unsigned q)
{
	struct fs_dev *f = fs_of(d);
	uint64_t one = 1;

	if (q < VIRTIO_MAX_QUEUES && f->kick_fd[q] >= 0)
		(void)!write(f->kick_fd[q], &one, sizeof(one));
}

static void fs_take_kick_fd(struct virtio_dev *d, unsigned q, int fd)
{
	struct fs_dev *f = fs_of(d);

	if (q >= VIRTIO_MAX_QUEUES)
		return;
	if (f->own_kick[q])
		close(f->kick_fd[q]);
	f->own_kick[q] = false;
	f->kick_fd[q] = fd;
}

static const struct virtio_dev_ops fs_ops = {
	.config_read = fs_config_read,
	.activate = fs_activate,
	.reset = fs_reset,
	.notify = fs_notify,
	.take_kick_fd = fs_take_kick_fd,
};

/* The back-end used buffers on some queue: tell the guest. */
static void fs_on_call(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct fs_dev *f = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	pthread_mutex_lock(&f->dev.lock);
	if (virtio_dev_active(&f->dev)) {
		f->dev.isr |= VIRTIO_MMIO_INT_VRING;
		if (f->dev.raise_irq)
			f->dev.raise_irq(&f->dev);
	}
	pthread_mutex_unlock(&f->dev.lock);
}

static void fs_on_hangup(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct fs_dev *f = arg;

	ev_del(loop, fd);
	f->sock_watched = false;
	pthread_mutex_lock(&f->dev.lock);
	f->vhu.state = VHU_BROKEN;
	if (!f->vhu.error)
		f->vhu.error = -ECONNRESET;
	f->vhu.running = 0;
	virtio_dev_fail(&f->dev);
	pthread_mutex_unlock(&f->dev.lock);
	log_error("virtio-fs '%s': %s closed the vhost-user connection", f->tag, f->backend);
	if (f->gone)
		f->gone(f->gone_arg);
}

static void fs_fill_config(struct fs_dev *f, unsigned nreq)
{
	uint32_t le = htole32(nreq);

	memset(f->config, 0, sizeof(f->config));
	memcpy(f->config, f->tag, strlen(f->tag));
	memcpy(f->config + FS_TAG_MAX, &le, sizeof(le));
}

/* Handshake and device shape; errors are logged here with the back-end's name. */
static int fs_negotiate(struct fs_dev *f, unsigned nreq)
{
	int ret = vhu_handshake(&f->vhu, FS_WANT_PROTOCOL);

	if (ret) {
		log_error("virtio-fs '%s': vhost-user handshake with %s: %s", f->tag, f->backend,
			  ret == -EPROTO ? "malformed reply" : strerror(-ret));
		return ret;
	}
	if (!(f->vhu.features & (1ull << VIRTIO_F_VERSION_1))) {
		log_error("virtio-fs '%s': %s does not offer VIRTIO_F_VERSION_1", f->tag, f->backend);
		return -EPROTONOSUPPORT;
	}
	if (f->vhu.max_queues && f->vhu.max_queues < nreq + 1) {
		log_error("virtio-fs '%s': %s serves %u queues, %u needed", f->tag, f->backend,
			  f->vhu.max_queues, nreq + 1);
		return -EPROTONOSUPPORT;
	}
	f->dev.host_features = (1ull << VIRTIO_F_VERSION_1) | (f->vhu.features & FS_RING_FEATURES);
	return 0;
}

static int fs_setup(struct fs_dev *f, const struct fs_cfg *cfg)
{
	unsigned nreq = cfg->request_queues ? cfg->request_queues : 1;
	int ret;

	if (fs_check_tag(cfg->tag) || nreq > FS_MAX_REQUEST_QUEUES)
		return -EINVAL;
	snprintf(f->tag, sizeof(f->tag), "%s", cfg->tag);
	snprintf(f->backend, sizeof(f->backend), "%s", cfg->backend ? cfg->backend : "the back-end");
	fs_fill_config(f, nreq);
	f->dev.ops = &fs_ops;
	f->dev.priv = f;
	f->dev.name = "fs";
	f->dev.device_id = VIRTIO_ID_FS;
	f->dev.config_len = FS_CONFIG_LEN;
	f->dev.nr_queues = nreq + 1;
	f->dev.direct_irq = true;
	ret = fs_negotiate(f, nreq);
	if (ret)
		return ret;
	f->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->call_fd < 0)
		return -errno;
	ret = ev_add(f->loop, f->call_fd, EPOLLIN, fs_on_call, f);
	if (ret)
		return ret;
	/* Hang-up only: replies are read synchronously by whoever sent the request. */
	ret = ev_add(f->loop, f->vhu.fd, EPOLLRDHUP, fs_on_hangup, f);
	f->sock_watched = !ret;
	return ret;
}

int fs_create(struct fs_dev **out, struct ev_loop *loop, const struct guest_mem *mem, int sock,
	      const struct fs_cfg *cfg)
{
	struct fs_dev *f = calloc(1, sizeof(*f));
	int ret;

	if (!f) {
		close(sock);
		return -ENOMEM;
	}
	f->loop = loop;
	f->mem = mem;
	f->call_fd = -1;
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		f->kick_fd[q] = -1;
	f->gone = cfg->gone;
	f->gone_arg = cfg->gone_arg;
	vhu_init(&f->vhu, sock);
	ret = fs_setup(f, cfg);
	if (ret) {
		fs_destroy(f);
		return ret;
	}
	*out = f;
	return 0;
}

struct virtio_dev *fs_dev(struct fs_dev *f)
{
	return &f->dev;
}

void fs_destroy(struct fs_dev *f)
{
	if (!f)
		return;
	if (f->sock_watched)
		ev_del(f->loop, f->vhu.fd);
	if (f->call_fd >= 0) {
		ev_del(f->loop, f->call_fd);
		close(f->call_fd);
	}
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		if (f->own_kick[q])
			close(f->kick_fd[q]);
	}
	vhu_fini(&f->vhu);
	free(f);
}
