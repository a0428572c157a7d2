/* Moving agent-protocol messages over stream sockets: blocking send and receive,
 * a receive buffer for event loops, and the "<prefix>_<port>" socket naming that
 * runvm-vmm's hybrid vsock and the bare-machine agent mode share. */
#include "common/proto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

int proto_port_path(char *buf, size_t size, const char *prefix, uint32_t port)
{
	struct sockaddr_un sun;
	int n = snprintf(buf, size, "%s_%u", prefix, port);

	if (n < 0 || (size_t)n >= size || (size_t)n >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int proto_send(int fd, struct proto_buf *b)
{
	int ret = b->err ? b->err : util_write_full(fd, b->data, b->len);

	proto_buf_reset(b);
	return ret;
}

int proto_recv(int fd, struct proto_hdr *h, uint8_t **payload)
{
	uint8_t hdr[PROTO_HDR_SIZE];
	ssize_t n = util_read_full(fd, hdr, sizeof(hdr));
	uint8_t *p;
	int ret;

	*payload = NULL;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESHUTDOWN;
	if (n < (ssize_t)sizeof(hdr))
		return -EBADMSG;
	ret = proto_hdr_decode(hdr, sizeof(hdr), h);
	if (ret)
		return ret;
	/* One spare byte so that an empty payload still gets a non-NULL buffer. */
	p = malloc((size_t)h->len + 1);
	if (!p)
		return -ENOMEM;
	n = util_read_full(fd, p, h->len);
	if (n != (ssize_t)h->len) {
		free(p);
		return n < 0 ? (int)n : -EBADMSG;
	}
	*payload = p;
	return 0;
}

void proto_rx_init(struct proto_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

void proto_rx_fini(struct proto_rx *rx)
{
	free(rx->buf);
	proto_rx_init(rx);
}

int proto_rx_read(struct proto_rx *rx, int fd)
{
	struct proto_hdr h;
	size_t want = 65536;
	ssize_t n;

	/* Drop what proto_rx_next handed out, then make room for the whole of a
	 * message whose header is in: a big CREATE arrives in one buffer. */
	if (rx->used) {
		memmove(rx->buf, rx->buf + rx->used, rx->len - rx->used);
		rx->len -= rx->used;
		rx->used = 0;
	}
	if (!proto_hdr_decode(rx->buf, rx->len, &h) && PROTO_HDR_SIZE + (size_t)h.len > want)
		want = PROTO_HDR_SIZE + (size_t)h.len;
	if (rx->cap < want) {
		uint8_t *b = realloc(rx->buf, want);

		if (!b)
			return -ENOMEM;
		rx->buf = b;
		rx->cap = want;
	}
	if (rx->len == rx->cap)
		return 0; /* a whole message is waiting for proto_rx_next */
	n = read(fd, rx->buf + rx->len, rx->cap - rx->len);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	if (n == 0)
		return -ESHUTDOWN;
	rx->len += (size_t)n;
	return 0;
}

int proto_rx_next(struct proto_rx *rx, struct proto_hdr *h, const uint8_t **payload)
{
	size_t have = rx->len - rx->used;
	int ret = proto_hdr_decode(rx->buf ? rx->buf + rx->used : NULL, have, h);

	if (ret == -EAGAIN)
		return 0;
	if (ret)
		return ret;
	if (have - PROTO_HDR_SIZE < h->len)
		return 0;
	*payload = rx->buf + rx->used + PROTO_HDR_SIZE;
	rx->used += PROTO_HDR_SIZE + h->len;
	return 1;
}
