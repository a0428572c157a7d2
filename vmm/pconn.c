/* Message connections on the event loop (see pconn.h). */
#include "vmm/pconn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int pconn_init(struct pconn *c, struct ev_loop *loop, int fd, size_t tx_max, ev_cb cb,
	       void *arg)
{
	int fl = fcntl(fd, F_GETFL), ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	ret = ev_add(loop, fd, EPOLLIN, cb, arg);
	if (ret)
		return ret;
	c->fd = fd;
	c->loop = loop;
	c->tx_max = tx_max;
	proto_rx_init(&c->rx);
	proto_buf_init(&c->tx);
	return 0;
}

void pconn_fini(struct pconn *c)
{
	if (c->fd >= 0) {
		ev_del(c->loop, c->fd);
		close(c->fd);
	}
	c->fd = -1;
	proto_rx_fini(&c->rx);
	proto_buf_fini(&c->tx);
	c->tx_off = 0;
	c->out_armed = false;
}

size_t pconn_pending(const struct pconn *c)
{
	return c->tx.len - c->tx_off;
}

bool pconn_room(const struct pconn *c, size_t n)
{
	return pconn_pending(c) + n <= c->tx_max;
}

static int pconn_arm(struct pconn *c, bool out)
{
	if (c->out_armed == out)
		return 0;
	c->out_armed = out;
	return ev_mod(c->loop, c->fd, EPOLLIN | (out ? EPOLLOUT : 0));
}

int pconn_flush(struct pconn *c)
{
	if (c->fd < 0)
		return -ENOTCONN;
	while (c->tx_off < c->tx.len) {
		ssize_t n = send(c->fd, c->tx.data + c->tx_off, c->tx.len - c->tx_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		c->tx_off += (size_t)n;
	}
	if (c->tx_off == c->tx.len) {
		proto_buf_reset(&c->tx);
		c->tx_off = 0;
		return pconn_arm(c, false);
	}
	/* Between messages here: drop what was sent so the buffer stays bounded. */
	if (c->tx_off >= 65536) {
		memmove(c->tx.data, c->tx.data + c->tx_off, c->tx.len - c->tx_off);
		c->tx.len -= c->tx_off;
		c->tx.start = c->tx.len;
		c->tx_off = 0;
	}
	return pconn_arm(c, true);
}

int pconn_next(struct pconn *c, struct proto_hdr *h, const uint8_t **payload)
{
	int ret;

	if (c->fd < 0)
		return -ENOTCONN;
	ret = proto_rx_next(&c->rx, h, payload);
	if (ret)
		return ret;
	ret = proto_rx_read(&c->rx, c->fd);
	if (ret == -EAGAIN)
		return 0;
	if (ret)
		return ret;
	return proto_rx_next(&c->rx, h, payload);
}

bool pconn_on_out(struct pconn *c, uint32_t events)
{
	return c->out_armed && (events & EPOLLOUT);
}
