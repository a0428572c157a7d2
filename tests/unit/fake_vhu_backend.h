/* A scripted fake vhost-user back-end for unit tests, on the other end of a
 * socketpair. The front-end's requests are synchronous and small, so no thread is
 * needed: a test queues the back-end's replies first (they wait in the socket
 * buffer), makes the front-end call, then reads back what the front-end sent and
 * checks it. Include after tap.h in one test file. */
#ifndef RUNVM_TESTS_FAKE_VHU_BACKEND_H
#define RUNVM_TESTS_FAKE_VHU_BACKEND_H

#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/vhost_user.h"

struct fake_msg {
	struct vhu_hdr h;
	uint8_t p[VHU_MAX_PAYLOAD];
	int fds[VHU_MAX_REGIONS];
	unsigned nfds;
};

/* fe: the front-end's end (give it to vhu_init / fs_create); be: ours. */
static inline int fake_pair(int *fe, int *be)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	*fe = sv[0];
	*be = sv[1];
	return 0;
}

static inline void fake_reply(int be, uint32_t req, const void *p, uint32_t len)
{
	struct vhu_hdr h = { .request = req, .flags = VHU_VERSION | VHU_FLAG_REPLY, .size = len };

	(void)!write(be, &h, sizeof(h));
	if (len)
		(void)!write(be, p, len);
}

static inline void fake_reply_u64(int be, uint32_t req, uint64_t v)
{
	fake_reply(be, req, &v, sizeof(v));
}

static inline void fake_ack(int be, uint32_t req)
{
	fake_reply_u64(be, req, 0);
}

/* Reads one message the front-end sent; 0, or -1 if there was none (nonblocking). */
static inline int fake_read(int be, struct fake_msg *m)
{
	char cbuf[CMSG_SPACE(sizeof(int) * VHU_MAX_REGIONS)];
	struct iovec iov = { &m->h, sizeof(m->h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };

	memset(m, 0, sizeof(*m));
	if (recvmsg(be, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != sizeof(m->h))
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		unsigned n = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

		for (unsigned i = 0; i < n && m->nfds < VHU_MAX_REGIONS; i++)
			memcpy(&m->fds[m->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (m->h.size > VHU_MAX_PAYLOAD)
		return -1;
	if (m->h.size && recv(be, m->p, m->h.size, MSG_DONTWAIT) != (ssize_t)m->h.size)
		return -1;
	return 0;
}

static inline void fake_close_fds(struct fake_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		close(m->fds[i]);
	m->nfds = 0;
}

static inline uint64_t fake_u64(const struct fake_msg *m)
{
	uint64_t v = 0;

	memcpy(&v, m->p, sizeof(v));
	return v;
}

/* True if nothing more was sent. */
static inline int fake_quiet(int be)
{
	char c;

	return recv(be, &c, 1, MSG_DONTWAIT | MSG_PEEK) < 0;
}

/* Queues the replies of a full handshake: features, protocol features, queue num. */
static inline void fake_handshake_replies(int be, uint64_t features, uint64_t protocol,
					  uint64_t queues)
{
	fake_reply_u64(be, VHU_GET_FEATURES, features);
	if (features & (1ull << VHU_F_PROTOCOL_FEATURES)) {
		fake_reply_u64(be, VHU_GET_PROTOCOL_FEATURES, protocol);
		if (protocol & (1ull << VHU_PROTOCOL_F_MQ))
			fake_reply_u64(be, VHU_GET_QUEUE_NUM, queues);
	}
}

/* Reads and drops n messages (closing their fds); the number read. */
static inline unsigned fake_skip(int be, unsigned n)
{
	struct fake_msg m;
	unsigned i;

	for (i = 0; i < n && fake_read(be, &m) == 0; i++)
		fake_close_fds(&m);
	return i;
}

#endif
