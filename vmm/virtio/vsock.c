/* The virtio-vsock device: virtio ops, the tx and rx queue loops, the hybrid
 * socket's listener, and the event-loop plumbing (a kick eventfd for work handed
 * over from vCPU threads, a timerfd for handshake and close deadlines). The
 * protocol itself lives in vsock_conn.c and vsock_io.c. */
#include "vmm/virtio/vsock.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/virtio/vsock_conn.h"

#define VSOCK_ACCEPT_BATCH 64
#define VSOCK_TICK_NS (1000ull * 1000 * 1000)

struct vsock {
	struct virtio_dev dev;
	struct vsock_ctx ctx;
	struct ev_loop *loop;
	char uds_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, kick_fd, timer_fd;
	bool listen_in_loop, kick_in_loop, timer_in_loop;
	bool bound;           /* we created uds_path and unlink it */
	bool active;          /* between activate and reset */
	bool reset_pending;   /* a reset came from a vCPU thread; the loop cleans up */
	bool listen_paused;   /* accept failed for lack of fds; retried on the tick */
	bool timer_armed;
	bool tid_known;
	pthread_t loop_tid;
	uint64_t cfg_cid;     /* config space: le64 guest_cid */
	struct vq_chain chain; /* scratch for the queue loops (under dev.lock) */
};

static struct vsock *vsock_of(struct virtio_dev *d)
{
	return d->priv;
}

static void vsock_kick_self(struct vsock *s)
{
	uint64_t one = 1;

	/* Only fails when the counter is saturated, and then a wakeup is pending. */
	if (write(s->kick_fd, &one, sizeof(one)) < 0)
		log_debug("vsock: kick: %s", strerror(errno));
}

static bool vsock_on_loop(struct vsock *s)
{
	return s->tid_known && pthread_equal(pthread_self(), s->loop_tid);
}

static void vsock_fail(struct vsock *s, const char *why)
{
	log_warn("vsock: %s; device needs a reset", why);
	s->active = false;
	virtio_dev_fail(&s->dev);
}

static void vsock_tx_one(struct vsock *s, const struct vq_chain *c)
{
	uint8_t raw[VSOCK_HDR_LEN];
	struct vsock_hdr h;

	if (c->out_len < VSOCK_HDR_LEN) {
		log_debug("vsock: tx chain of %u bytes has no header", c->out_len);
		return;
	}
	vq_iov_to_buf(c->out, c->nr_out, 0, raw, sizeof(raw));
	vsock_hdr_decode(raw, &h);
	vsock_ctx_guest_pkt(&s->ctx, &h, c->out, c->nr_out, VSOCK_HDR_LEN,
			    c->out_len - VSOCK_HDR_LEN);
}

/* Consumes guest packets; a budget of one ring's worth keeps a busy guest from
 * starving the rest of the loop (the remainder is picked up after a self-kick). */
static void vsock_tx_run(struct vsock *s)
{
	struct vq *q = &s->dev.vqs[VSOCK_QUEUE_TX];
	unsigned done = 0;
	int r;

	for (; done < q->num; done++) {
		r = vq_pop(q, &s->chain);
		if (r == 0)
			break;
		if (r < 0) {
			vsock_fail(s, "malformed tx queue");
			return;
		}
		vsock_tx_one(s, &s->chain);
		vq_push(q, s->chain.head, 0);
	}
	if (done && done == q->num && vq_has_avail(q))
		vsock_kick_self(s);
	if (done)
		virtio_notify_used(&s->dev, VSOCK_QUEUE_TX);
}

/* Fills rx buffers while anything is owed to the guest. */
static void vsock_rx_run(struct vsock *s)
{
	struct vq *q = &s->dev.vqs[VSOCK_QUEUE_RX];
	unsigned done = 0;
	int r, n;

	for (; done < q->num && vsock_ctx_has_rx(&s->ctx); done++) {
		r = vq_pop(q, &s->chain);
		if (r == 0)
			break;
		if (r < 0) {
			vsock_fail(s, "malformed rx queue");
			return;
		}
		n = vsock_ctx_next_rx(&s->ctx, s->chain.in, s->chain.nr_in, s->chain.in_len);
		if (n == 0) {
			vq_unpop(q);
			break;
		}
		/* A buffer too small for a header is returned unused. */
		vq_push(q, s->chain.head, n < 0 ? 0 : (uint32_t)n);
	}
	if (done && done == q->num && vsock_ctx_has_rx(&s->ctx) && vq_has_avail(q))
		vsock_kick_self(s);
	if (done)
		virtio_notify_used(&s->dev, VSOCK_QUEUE_RX);
}

static void vsock_timer_update(struct vsock *s)
{
	bool want = s->ctx.nr_deadlines || s->listen_paused;
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (want == s->timer_armed)
		return;
	if (want) {
		its.it_interval.tv_sec = VSOCK_TICK_NS / 1000000000ull;
		its.it_value = its.it_interval;
	}
	if (timerfd_settime(s->timer_fd, 0, &its, NULL) == 0)
		s->timer_armed = want;
}

/* Everything the device does, on the loop thread with dev.lock held. */
static void vsock_work(struct vsock *s)
{
	if (s->reset_pending) {
		vsock_ctx_reset(&s->ctx);
		s->reset_pending = false;
	}
	if (s->active) {
		vsock_tx_run(s);
		if (s->active)
			vsock_rx_run(s);
	}
	vsock_timer_update(s);
}

/* Entry from an event-loop callback: the calling thread is the loop's. */
static void vsock_enter(struct vsock *s)
{
	pthread_mutex_lock(&s->dev.lock);
	s->loop_tid = pthread_self();
	s->tid_known = true;
}

static void vsock_leave(struct vsock *s)
{
	vsock_work(s);
	pthread_mutex_unlock(&s->dev.lock);
}

static void vsock_kick_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vsock *s = arg;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("vsock: kick read: %s", strerror(errno));
	vsock_enter(s);
	vsock_leave(s);
}

static void vsock_timer_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vsock *s = arg;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_debug("vsock: timer read: %s", strerror(errno));
	vsock_enter(s);
	if (s->reset_pending)
		vsock_work(s);
	vsock_ctx_expire(&s->ctx, util_now_ns());
	if (s->listen_paused && ev_mod(s->loop, s->listen_fd, EPOLLIN) == 0)
		s->listen_paused = false;
	vsock_leave(s);
}

static void vsock_sock_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vsock_conn *c = arg;
	struct vsock *s = (struct vsock *)((char *)c->ctx - offsetof(struct vsock, ctx));

	vsock_enter(s);
	/* A pending reset frees c: the event is for a connection that no longer is. */
	if (!s->reset_pending)
		vsock_io_event(c, events);
	vsock_leave(s);
}

static void vsock_listen_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	struct vsock *s = arg;

	vsock_enter(s);
	if (s->reset_pending)
		vsock_work(s);
	for (unsigned i = 0; i < VSOCK_ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* Out of fds: level-triggered, this would spin; retry on the tick. */
			log_warn("vsock: accept: %s", strerror(errno));
			if (ev_mod(loop, fd, 0) == 0)
				s->listen_paused = true;
			break;
		}
		/* At the cap the client sees EOF without "OK", like a refusal. */
		vsock_ctx_host_accept(&s->ctx, cfd, NULL);
	}
	vsock_leave(s);
}

static void vsock_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (const uint8_t *)&vsock_of(d)->cfg_cid + off, len);
}

static void vsock_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	/* guest_cid is read-only for the driver. */
}

static int vsock_activate(struct virtio_dev *d)
{
	struct vsock *s = vsock_of(d);

	s->active = true;
	/* Host connections may have been waiting for the driver. */
	vsock_kick_self(s);
	return 0;
}

static void vsock_reset(struct virtio_dev *d)
{
	struct vsock *s = vsock_of(d);

	s->active = false;
	if (vsock_on_loop(s)) {
		vsock_ctx_reset(&s->ctx);
		return;
	}
	/* Sockets and loop registrations are only touched on the loop thread. */
	s->reset_pending = true;
	vsock_kick_self(s);
}

static void vsock_notify(struct virtio_dev *d, unsigned q)
{
	struct vsock *s = vsock_of(d);

	if (q == VSOCK_QUEUE_EVENT)
		return; /* we never post events; the driver's buffers just wait */
	if (vsock_on_loop(s))
		vsock_work(s);
	else
		vsock_kick_self(s);
}

static const struct virtio_dev_ops vsock_ops = {
	.config_read = vsock_config_read,
	.config_write = vsock_config_write,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.notify = vsock_notify,
};

static int vsock_listen(struct vsock *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memcpy(sa.sun_path, s->uds_path, sizeof(sa.sun_path));
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return -errno;
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return errno == EADDRINUSE ? -EEXIST : -errno;
	s->bound = true;
	if (listen(s->listen_fd, 128) < 0)
		return -errno;
	return 0;
}

static int vsock_fds(struct vsock *s)
{
	int err;

	s->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->kick_fd < 0)
		return -errno;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0)
		return -errno;
	err = ev_add(s->loop, s->listen_fd, EPOLLIN, vsock_listen_cb, s);
	if (err)
		return err;
	s->listen_in_loop = true;
	err = ev_add(s->loop, s->kick_fd, EPOLLIN, vsock_kick_cb, s);
	if (err)
		return err;
	s->kick_in_loop = true;
	err = ev_add(s->loop, s->timer_fd, EPOLLIN, vsock_timer_cb, s);
	if (err)
		return err;
	s->timer_in_loop = true;
	return 0;
}

static void vsock_dev_setup(struct vsock *s, const struct guest_mem *mem, uint64_t guest_cid)
{
	struct virtio_dev *d = &s->dev;

	d->ops = &vsock_ops;
	d->priv = s;
	d->name = "vsock";
	d->device_id = VIRTIO_ID_VSOCK;
	d->host_features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_RING_INDIRECT_DESC) |
			   (1ull << VIRTIO_F_RING_EVENT_IDX);
	d->config_len = sizeof(s->cfg_cid);
	d->nr_queues = VSOCK_NR_QUEUES;
	d->mem = mem;
	s->cfg_cid = htole64(guest_cid);
}

int vsock_create(struct vsock **out, struct ev_loop *loop, const struct guest_mem *mem,
		 const char *uds_path, uint64_t guest_cid)
{
	struct vsock *s;
	struct stat st;
	int err;

	*out = NULL;
	if (guest_cid <= VSOCK_HOST_CID || guest_cid >= 0xffffffffull || !uds_path || !*uds_path)
		return -EINVAL;
	if (strlen(uds_path) >= sizeof(s->uds_path))
		return -ENAMETOOLONG;
	if (lstat(uds_path, &st) == 0)
		return -EEXIST;
	if (errno != ENOENT)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->listen_fd = s->kick_fd = s->timer_fd = -1;
	s->loop = loop;
	strcpy(s->uds_path, uds_path);
	vsock_dev_setup(s, mem, guest_cid);
	vsock_ctx_init(&s->ctx, loop, vsock_sock_cb, s->uds_path, guest_cid);
	err = vsock_listen(s);
	if (!err)
		err = vsock_fds(s);
	if (err) {
		vsock_destroy(s);
		return err;
	}
	*out = s;
	return 0;
}

struct virtio_dev *vsock_dev(struct vsock *v)
{
	return &v->dev;
}

static void vsock_close_fd(struct vsock *s, int *fd, bool *in_loop)
{
	if (*in_loop)
		ev_del(s->loop, *fd);
	*in_loop = false;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void vsock_destroy(struct vsock *v)
{
	if (!v)
		return;
	vsock_ctx_reset(&v->ctx);
	vsock_close_fd(v, &v->listen_fd, &v->listen_in_loop);
	vsock_close_fd(v, &v->kick_fd, &v->kick_in_loop);
	vsock_close_fd(v, &v->timer_fd, &v->timer_in_loop);
	if (v->bound)
		unlink(v->uds_path);
	free(v);
}
