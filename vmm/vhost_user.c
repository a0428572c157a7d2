/* vhost-user front-end: message framing over the Unix socket, reply validation,
 * and the request sequences of the session state machine (see vhost_user.h).
 *
 * The socket is non-blocking and every wait is a poll() against one deadline, so a
 * back-end that stops answering costs at most timeout_ms, never a hung vCPU. */
#include "vmm/vhost_user.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

int vhu_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void vhu_init(struct vhu *u, int fd)
{
	int fl = fcntl(fd, F_GETFL);

	memset(u, 0, sizeof(*u));
	u->fd = fd;
	u->state = VHU_CONNECTED;
	u->timeout_ms = VHU_DEFAULT_TIMEOUT_MS;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void vhu_fini(struct vhu *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	u->state = VHU_BROKEN;
	if (!u->error)
		u->error = -ENOTCONN;
}

static int vhu_break(struct vhu *u, int err)
{
	u->state = VHU_BROKEN;
	if (!u->error)
		u->error = err;
	return err;
}

static int vhu_wait(int fd, short ev, uint64_t deadline_ns)
{
	for (;;) {
		uint64_t now = util_now_ns();
		struct pollfd p = { .fd = fd, .events = ev };
		int ms, n;

		if (now >= deadline_ns)
			return -ETIMEDOUT;
		ms = (int)MIN((deadline_ns - now + 999999) / 1000000, (uint64_t)INT32_MAX);
		n = poll(&p, 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

static uint64_t vhu_deadline(const struct vhu *u)
{
	return util_now_ns() + (uint64_t)u->timeout_ms * 1000000ull;
}

/* Writes all of the message; the fds go with its first byte. */
static int vhu_write_msg(struct vhu *u, struct iovec *iov, unsigned niov, const int *fds,
			 unsigned nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)] = { 0 };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = niov };
	uint64_t deadline = vhu_deadline(u);

	if (nfds > VHU_MAX_REGIONS)
		return -EINVAL;
	if (nfds) {
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	while (mh.msg_iovlen) {
		ssize_t n = sendmsg(u->fd, &mh, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int ret = vhu_wait(u->fd, POLLOUT, deadline);

			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		/* Short write: the fds went with the first byte; finish the rest. */
		mh.msg_control = NULL;
		mh.msg_controllen = 0;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int vhu_send(struct vhu *u, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
	     const int *fds, unsigned nfds)
{
	struct vhu_hdr h = { .request = req, .flags = VHU_VERSION | flags, .size = len };
	struct iovec iov[2] = { { &h, VHU_HDR_SIZE }, { (void *)payload, len } };
	int ret;

	if (u->state == VHU_BROKEN)
		return -ENOTCONN;
	if (len > VHU_MAX_PAYLOAD)
		return -EINVAL;
	ret = vhu_write_msg(u, iov, len ? 2 : 1, fds, nfds);
	return ret ? vhu_break(u, ret) : 0;
}

/* Closes any fds a back-end attached: no reply of ours carries one. */
static void vhu_drop_fds(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int fd;

		for (size_t i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

/* Reads exactly len bytes. -ECONNRESET if the peer closed first. */
static int vhu_read_exact(struct vhu *u, void *buf, size_t len, uint64_t deadline)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (char *)buf + got, len - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(u->fd, &mh, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int ret = vhu_wait(u->fd, POLLIN, deadline);

			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		vhu_drop_fds(&mh);
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

int vhu_recv_reply(struct vhu *u, uint32_t req, void *payload, uint32_t len)
{
	uint64_t deadline = vhu_deadline(u);
	struct vhu_hdr h;
	int ret;

	if (u->state == VHU_BROKEN)
		return -ENOTCONN;
	ret = vhu_read_exact(u, &h, VHU_HDR_SIZE, deadline);
	if (ret)
		return vhu_break(u, ret);
	/* A reply to something else, a request from the back-end, or a size we did
	 * not ask for: the stream cannot be trusted any more. */
	if (h.request != req || (h.flags & VHU_VERSION_MASK) != VHU_VERSION ||
	    !(h.flags & VHU_FLAG_REPLY) || h.size != len)
		return vhu_break(u, -EPROTO);
	ret = vhu_read_exact(u, payload, len, deadline);
	return ret ? vhu_break(u, ret) : 0;
}

/* A request without a reply of its own; waits for the ack once REPLY_ACK is on, so
 * a back-end's refusal surfaces here and not as a silent dead device. */
static int vhu_set(struct vhu *u, uint32_t req, const void *payload, uint32_t len,
		   const int *fds, unsigned nfds, bool ack)
{
	bool want_ack = ack && u->acks;
	uint64_t status;
	int ret;

	ret = vhu_send(u, req, want_ack ? VHU_FLAG_NEED_REPLY : 0, payload, len, fds, nfds);
	if (ret || !want_ack)
		return ret;
	ret = vhu_recv_reply(u, req, &status, sizeof(status));
	if (ret)
		return ret;
	return status ? -EIO : 0;
}

static int vhu_get_u64(struct vhu *u, uint32_t req, uint64_t *v)
{
	int ret = vhu_send(u, req, 0, NULL, 0, NULL, 0);

	return ret ? ret : vhu_recv_reply(u, req, v, sizeof(*v));
}

int vhu_handshake(struct vhu *u, uint64_t want_protocol)
{
	uint64_t offered = 0, agreed, n;
	int ret;

	if (u->state != VHU_CONNECTED)
		return u->state == VHU_BROKEN ? -ENOTCONN : -EINVAL;
	ret = vhu_get_u64(u, VHU_GET_FEATURES, &u->features);
	if (!ret && (u->features & (1ull << VHU_F_PROTOCOL_FEATURES)))
		ret = vhu_get_u64(u, VHU_GET_PROTOCOL_FEATURES, &offered);
	if (ret)
		return ret;
	agreed = offered & want_protocol;
	if (u->features & (1ull << VHU_F_PROTOCOL_FEATURES)) {
		ret = vhu_set(u, VHU_SET_PROTOCOL_FEATURES, &agreed, sizeof(agreed), NULL, 0, false);
		if (ret)
			return ret;
	}
	/* Acks are only asked for once SET_FEATURES has acked PROTOCOL_FEATURES too:
	 * some back-ends only honour NEED_REPLY from then on. */
	ret = vhu_set(u, VHU_SET_OWNER, NULL, 0, NULL, 0, false);
	if (ret)
		return ret;
	if (agreed & (1ull << VHU_PROTOCOL_F_MQ)) {
		ret = vhu_get_u64(u, VHU_GET_QUEUE_NUM, &n);
		if (ret)
			return ret;
		if (n == 0 || n > 0xffff)
			return vhu_break(u, -EPROTO);
		u->max_queues = (unsigned)n;
	}
	u->protocol = agreed;
	u->state = VHU_READY;
	return 0;
}

static int vhu_check_ready(const struct vhu *u)
{
	if (u->state == VHU_BROKEN)
		return -ENOTCONN;
	return u->state == VHU_CONNECTED ? -EINVAL : 0;
}

int vhu_set_features(struct vhu *u, uint64_t virtio_features)
{
	uint64_t f = virtio_features & ~(1ull << VHU_F_PROTOCOL_FEATURES);
	int ret = vhu_check_ready(u);

	if (ret)
		return ret;
	f |= u->features & (1ull << VHU_F_PROTOCOL_FEATURES);
	ret = vhu_set(u, VHU_SET_FEATURES, &f, sizeof(f), NULL, 0, false);
	if (ret)
		return ret;
	u->acks = (f & (1ull << VHU_F_PROTOCOL_FEATURES)) &&
		  (u->protocol & (1ull << VHU_PROTOCOL_F_REPLY_ACK));
	return 0;
}

int vhu_mem_table(const struct guest_mem *m, struct vhu_mem_table *t)
{
	memset(t, 0, sizeof(*t));
	if (m->fd < 0 || m->nr == 0 || m->nr > VHU_MAX_REGIONS)
		return -EINVAL;
	t->nregions = m->nr;
	for (unsigned i = 0; i < m->nr; i++) {
		t->r[i] = (struct vhu_region){ .gpa = m->r[i].gpa,
					       .size = m->r[i].size,
					       .uaddr = (uint64_t)(uintptr_t)m->r[i].host,
					       .mmap_offset = m->r[i].offset };
	}
	return 0;
}

int vhu_set_mem_table(struct vhu *u, const struct guest_mem *m)
{
	struct vhu_mem_table t;
	int fds[VHU_MAX_REGIONS];
	int ret = vhu_check_ready(u);

	if (!ret)
		ret = vhu_mem_table(m, &t);
	if (ret)
		return ret;
	/* One fd per region, even when all regions are the same memfd. */
	for (unsigned i = 0; i < t.nregions; i++)
		fds[i] = m->fd;
	return vhu_set(u, VHU_SET_MEM_TABLE, &t,
		       (uint32_t)(offsetof(struct vhu_mem_table, r) + t.nregions * sizeof(t.r[0])),
		       fds, t.nregions, true);
}

static int vhu_set_state(struct vhu *u, uint32_t req, unsigned index, uint32_t num)
{
	struct vhu_vring_state s = { .index = index, .num = num };

	return vhu_set(u, req, &s, sizeof(s), NULL, 0, true);
}

static int vhu_set_vring_fd(struct vhu *u, uint32_t req, unsigned index, int fd)
{
	uint64_t v = index & VHU_VRING_INDEX_MASK;

	if (fd < 0)
		v |= VHU_VRING_NOFD;
	return vhu_set(u, req, &v, sizeof(v), &fd, fd < 0 ? 0 : 1, true);
}

int vhu_start_vring(struct vhu *u, const struct vhu_vring *r)
{
	struct vhu_vring_addr a = {
		.index = r->index, .desc = r->desc, .used = r->used, .avail = r->avail
	};
	int ret = vhu_check_ready(u);

	if (ret)
		return ret;
	if (r->index > VHU_VRING_INDEX_MASK || r->index >= 32 || r->num == 0 ||
	    (u->max_queues && r->index >= u->max_queues))
		return -EINVAL;
	/* CALL before KICK: a back-end starts the ring when it gets the kick fd and
	 * must already know where to signal. */
	ret = vhu_set_state(u, VHU_SET_VRING_NUM, r->index, r->num);
	if (!ret)
		ret = vhu_set_state(u, VHU_SET_VRING_BASE, r->index, r->base);
	if (!ret)
		ret = vhu_set(u, VHU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, true);
	if (!ret)
		ret = vhu_set_vring_fd(u, VHU_SET_VRING_CALL, r->index, r->call_fd);
	if (!ret)
		ret = vhu_set_vring_fd(u, VHU_SET_VRING_KICK, r->index, r->kick_fd);
	if (ret)
		return ret;
	u->running |= 1u << r->index;
	u->state = VHU_RUNNING;
	/* Without protocol features the ring runs as soon as it has its kick fd. */
	if (u->features & (1ull << VHU_F_PROTOCOL_FEATURES))
		ret = vhu_set_state(u, VHU_SET_VRING_ENABLE, r->index, 1);
	return ret;
}

int vhu_stop_vring(struct vhu *u, unsigned index, uint16_t *base)
{
	struct vhu_vring_state s = { .index = index };
	int ret = vhu_check_ready(u);

	if (ret)
		return ret;
	if (index >= 32 || !(u->running & (1u << index)))
		return -EINVAL;
	if (u->features & (1ull << VHU_F_PROTOCOL_FEATURES))
		ret = vhu_set_state(u, VHU_SET_VRING_ENABLE, index, 0);
	if (!ret)
		ret = vhu_send(u, VHU_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0);
	if (!ret)
		ret = vhu_recv_reply(u, VHU_GET_VRING_BASE, &s, sizeof(s));
	if (ret)
		return ret;
	if (s.index != index || s.num > 0xffff)
		return vhu_break(u, -EPROTO);
	if (base)
		*base = (uint16_t)s.num;
	u->running &= ~(1u << index);
	if (!u->running)
		u->state = VHU_READY;
	return 0;
}

const char *vhu_req_name(uint32_t req)
{
	static const char *const names[] = {
		[VHU_GET_FEATURES] = "GET_FEATURES",
		[VHU_SET_FEATURES] = "SET_FEATURES",
		[VHU_SET_OWNER] = "SET_OWNER",
		[VHU_RESET_OWNER] = "RESET_OWNER",
		[VHU_SET_MEM_TABLE] = "SET_MEM_TABLE",
		[VHU_SET_VRING_NUM] = "SET_VRING_NUM",
		[VHU_SET_VRING_ADDR] = "SET_VRING_ADDR",
		[VHU_SET_VRING_BASE] = "SET_VRING_BASE",
		[VHU_GET_VRING_BASE] = "GET_VRING_BASE",
		[VHU_SET_VRING_KICK] = "SET_VRING_KICK",
		[VHU_SET_VRING_CALL] = "SET_VRING_CALL",
		[VHU_SET_VRING_ERR] = "SET_VRING_ERR",
		[VHU_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
		[VHU_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
		[VHU_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
		[VHU_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	};

	if (req < ARRAY_SIZE(names) && names[req])
		return names[req];
	return "unknown";
}
