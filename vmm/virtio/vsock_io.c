/* virtio-vsock: the Unix socket side of a connection. The CONNECT handshake of the
 * hybrid interface, guest data written to the socket (and held in the connection's
 * bounded buffer while the socket would block), socket data read straight into a
 * guest rx buffer, connecting guest-initiated streams to "<uds>_<port>", and what
 * socket readiness means for each state. Sockets are non-blocking and edge-triggered;
 * nothing here waits. */
#include "vmm/virtio/vsock_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

_Static_assert(VSOCK_BUF_ALLOC >= VSOCK_MAX_PAYLOAD, "a packet must fit the buffer");

void vsock_io_credit_check(struct vsock_conn *c)
{
	if (c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_CREDIT_THRESHOLD)
		c->owed |= VSOCK_OWE_CREDIT_UPDATE;
}

static ssize_t vsock_sendv(int fd, struct iovec *v, unsigned n)
{
	struct msghdr m = { .msg_iov = v, .msg_iovlen = n };
	ssize_t r = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
}

/* Appends guest bytes to the ring; the caller checked they fit. */
static void vsock_buf_put(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip,
			  uint32_t len)
{
	uint32_t tail = (c->buf_head + c->buf_len) % VSOCK_BUF_ALLOC;
	uint32_t first = MIN(len, VSOCK_BUF_ALLOC - tail);

	vq_iov_to_buf(iov, n, skip, c->buf + tail, first);
	vq_iov_to_buf(iov, n, skip + first, c->buf, len - first);
	c->buf_len += len;
}

int vsock_io_write(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip,
		   uint32_t len)
{
	struct iovec v[VQ_MAX_SEGS];
	uint32_t done = 0;
	ssize_t r;

	if (c->fd < 0 || c->wr_shut)
		return -EPIPE;
	/* Our buf_alloc promised exactly this much room; a guest that sends more
	 * than its credit is broken or hostile. */
	if (len > VSOCK_BUF_ALLOC - c->buf_len)
		return -ENOBUFS;
	if (n > VQ_MAX_SEGS)
		return -EINVAL;
	if (c->buf_len == 0) {
		r = vsock_sendv(c->fd, v, vsock_iov_slice(iov, n, skip, len, v));
		if (r < 0)
			return (int)r;
		done = (uint32_t)r;
		c->fwd_cnt += done;
	}
	if (done < len)
		vsock_buf_put(c, iov, n, skip + done, len - done);
	vsock_io_credit_check(c);
	return 0;
}

int vsock_io_flush(struct vsock_conn *c)
{
	struct iovec v[2];
	ssize_t r;

	while (c->buf_len && c->fd >= 0) {
		uint32_t first = MIN(c->buf_len, VSOCK_BUF_ALLOC - c->buf_head);

		v[0] = (struct iovec){ c->buf + c->buf_head, first };
		v[1] = (struct iovec){ c->buf, c->buf_len - first };
		r = vsock_sendv(c->fd, v, v[1].iov_len ? 2 : 1);
		if (r < 0)
			return (int)r;
		if (r == 0)
			break;
		c->buf_head = (c->buf_head + (uint32_t)r) % VSOCK_BUF_ALLOC;
		c->buf_len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	if (c->buf_len == 0)
		c->buf_head = 0;
	if (c->buf_len == 0 && (c->guest_shut & VSOCK_SHUT_SEND) && !c->wr_shut && c->fd >= 0) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	vsock_io_credit_check(c);
	return 0;
}

ssize_t vsock_io_read(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip,
		      size_t max)
{
	struct iovec v[VQ_MAX_SEGS];
	unsigned cnt;
	ssize_t r;

	if (n > VQ_MAX_SEGS)
		return -EINVAL;
	cnt = vsock_iov_slice(iov, n, skip, max, v);
	if (cnt == 0)
		return -EAGAIN;
	r = readv(c->fd, v, (int)cnt);
	if (r >= 0)
		return r;
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -EAGAIN : -errno;
}

int vsock_io_connect(const char *uds_path, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n, err;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds_path, port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Non-blocking AF_UNIX connect either completes at once or fails; EAGAIN
	 * (backlog full) counts as a refusal rather than stalling the loop. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Reads "CONNECT <port>\n" without consuming anything after the newline: the
 * client may already have sent stream data behind it. */
static bool vsock_io_rdhup(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

static void vsock_io_handshake(struct vsock_conn *c, uint32_t events)
{
	char line[VSOCK_LINE_MAX];
	const char *nl;
	uint32_t port;
	ssize_t n = recv(c->fd, line, sizeof(line), MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0)
		goto refuse;
	nl = memchr(line, '\n', (size_t)n);
	if (!nl) {
		if ((size_t)n == sizeof(line) || c->hup ||
		    ((events & EPOLLRDHUP) && vsock_io_rdhup(c->fd)))
			goto refuse;
		return; /* the rest of the line comes with the next edge */
	}
	n = nl - line + 1;
	if (recv(c->fd, line, (size_t)n, MSG_DONTWAIT) != n)
		goto refuse;
	if (vsock_parse_connect(line, (size_t)n - 1, &port) < 0) {
		log_debug("vsock: bad CONNECT line from a host client");
		goto refuse;
	}
	vsock_conn_host_request(c, port);
	return;
refuse:
	vsock_conn_free(c);
}

/* epoll said HUP or ERR; with fd numbers reused inside one epoll batch it may be
 * about an earlier socket, so ask this one. False if c is gone. */
static bool vsock_io_check_hup(struct vsock_conn *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN | POLLOUT | POLLRDHUP };
	int err = 0;
	socklen_t len = sizeof(err);

	if (poll(&p, 1, 0) <= 0)
		return true;
	if (p.revents & POLLERR) {
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			log_debug("vsock: host port %u: %s", c->host_port, strerror(err));
			vsock_conn_reset(c);
			return false;
		}
	}
	if (p.revents & POLLHUP)
		c->hup = true;
	return true;
}

static void vsock_io_established(struct vsock_conn *c, uint32_t events)
{
	if ((events & EPOLLOUT) && c->buf_len) {
		if (vsock_io_flush(c) < 0) {
			vsock_conn_reset(c);
			return;
		}
		if (vsock_conn_finish_if_done(c))
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		c->readable = true;
	/* Gone for good and nothing left we could read: say so now rather than when
	 * the guest next gives credit (which, having shut RCV, it never will). */
	if (c->hup && (c->rd_eof || (c->guest_shut & VSOCK_SHUT_RCV)) &&
	    c->host_shut != VSOCK_SHUT_BOTH) {
		c->host_shut = VSOCK_SHUT_BOTH;
		c->owed |= VSOCK_OWE_SHUTDOWN;
	}
	vsock_conn_kick(c);
}

void vsock_io_event(struct vsock_conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if ((events & (EPOLLHUP | EPOLLERR)) && !vsock_io_check_hup(c))
		return;
	switch (c->state) {
	case VSOCK_ST_HANDSHAKE:
		vsock_io_handshake(c, events);
		break;
	case VSOCK_ST_REQUEST:
		/* The client gave up before the guest answered. */
		if (c->hup)
			vsock_conn_reset(c);
		else if (events & EPOLLIN)
			c->readable = true;
		break;
	case VSOCK_ST_ESTABLISHED:
		vsock_io_established(c, events);
		break;
	case VSOCK_ST_CLOSING:
		break;
	}
}
