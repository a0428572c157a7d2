/* Netlink message building, attribute parsing and the request/dump socket (see
 * nl.h). */
#include "common/nl.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The kernel's answer to one request should come at once; a socket that stays
 * silent this long means something is badly wrong, not slow. */
#define NL_RECV_TIMEOUT_S 10

struct nlmsghdr *nl_msg_hdr(struct nl_msg *m)
{
	return (struct nlmsghdr *)m->buf;
}

static void *nl_reserve(struct nl_msg *m, size_t len)
{
	size_t need = NLMSG_ALIGN(len);
	uint8_t *p;

	if (m->err)
		return NULL;
	if (need < len || need > sizeof(m->buf) - m->len) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	p = m->buf + m->len;
	memset(p, 0, need);
	m->len += need;
	nl_msg_hdr(m)->nlmsg_len = (uint32_t)m->len;
	return p;
}

void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len)
{
	struct nlmsghdr *h;

	m->len = 0;
	m->err = 0;
	m->nest_depth = 0;
	h = nl_reserve(m, NLMSG_HDRLEN);
	h->nlmsg_type = type;
	h->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	return hdr_len ? nl_reserve(m, hdr_len) : NULL;
}

void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a;

	if (len > UINT16_MAX - NLA_HDRLEN) {
		if (!m->err)
			m->err = -EMSGSIZE;
		return;
	}
	a = nl_reserve(m, NLA_HDRLEN + len);
	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
}

void nl_put_u8(struct nl_msg *m, uint16_t type, uint8_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_put(m, type, &v, sizeof(v));
}

void nl_put_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_put(m, type, s, strlen(s) + 1);
}

void nl_nest_begin(struct nl_msg *m, uint16_t type)
{
	size_t off = m->len;

	if (m->nest_depth == sizeof(m->nest) / sizeof(m->nest[0])) {
		if (!m->err)
			m->err = -EMSGSIZE;
		return;
	}
	nl_put(m, type | NLA_F_NESTED, NULL, 0);
	if (!m->err)
		m->nest[m->nest_depth++] = off;
}

void nl_nest_end(struct nl_msg *m)
{
	struct nlattr *a;
	size_t len;

	if (m->err || !m->nest_depth)
		return;
	a = (struct nlattr *)(m->buf + m->nest[--m->nest_depth]);
	len = m->len - m->nest[m->nest_depth];
	if (len > UINT16_MAX) {
		m->err = -EMSGSIZE;
		return;
	}
	a->nla_len = (uint16_t)len;
}

int nl_msg_end(struct nl_msg *m)
{
	if (!m->err && m->nest_depth)
		m->err = -EINVAL;
	return m->err;
}

/* ---- parsing -------------------------------------------------------------------- */

int nl_next(const uint8_t **p, size_t *len, const struct nlmsghdr **h)
{
	const struct nlmsghdr *m = (const struct nlmsghdr *)*p;
	size_t step;

	if (*len == 0)
		return 0;
	if (*len < NLMSG_HDRLEN || m->nlmsg_len < NLMSG_HDRLEN || m->nlmsg_len > *len)
		return -EBADMSG;
	*h = m;
	step = NLMSG_ALIGN(m->nlmsg_len);
	if (step > *len)
		step = *len;
	*p += step;
	*len -= step;
	return 1;
}

const void *nl_family_hdr(const struct nlmsghdr *h, size_t hdr_len)
{
	if (h->nlmsg_len < NLMSG_HDRLEN + hdr_len)
		return NULL;
	return (const uint8_t *)h + NLMSG_HDRLEN;
}

const void *nl_attrs(const struct nlmsghdr *h, size_t hdr_len, size_t *len)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdr_len);

	*len = 0;
	if (h->nlmsg_len < NLMSG_HDRLEN + hdr_len)
		return NULL;
	if (h->nlmsg_len <= off)
		return (const uint8_t *)h + h->nlmsg_len;
	*len = h->nlmsg_len - off;
	return (const uint8_t *)h + off;
}

int nl_parse(const void *p, size_t len, const struct nlattr **tb, unsigned max)
{
	const uint8_t *q = p;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)q;
		size_t step = NLA_ALIGN(a->nla_len);
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -EBADMSG;
		if (type <= max)
			tb[type] = a;
		if (step > len)
			step = len;
		q += step;
		len -= step;
	}
	return len ? -EBADMSG : 0;
}

const void *nl_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

size_t nl_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

bool nl_get_u8(const struct nlattr *a, uint8_t *v)
{
	if (!a || nl_len(a) != sizeof(*v))
		return false;
	memcpy(v, nl_data(a), sizeof(*v));
	return true;
}

bool nl_get_u32(const struct nlattr *a, uint32_t *v)
{
	if (!a || nl_len(a) != sizeof(*v))
		return false;
	memcpy(v, nl_data(a), sizeof(*v));
	return true;
}

bool nl_get_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n;

	if (!a || !size)
		return false;
	/* The NUL the kernel sends is optional for us: stop at the first one. */
	n = strnlen(nl_data(a), nl_len(a));
	if (n == 0 || n >= size)
		return false;
	memcpy(dst, nl_data(a), n);
	dst[n] = 0;
	return true;
}

/* ---- the socket ----------------------------------------------------------------- */

int nl_open(struct nl_sock *s)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_S };
	int one = 1;

	s->seq = 0;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (s->fd < 0)
		return -errno;
	/* Extended acks name the attribute a request failed on; only for logs, so a
	 * kernel without them is fine. */
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(s->fd);
		s->fd = -1;
		return err;
	}
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int nl_send(struct nl_sock *s, struct nl_msg *m, uint16_t extra_flags)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *h = nl_msg_hdr(m);
	ssize_t n;
	int err = nl_msg_end(m);

	if (err)
		return err;
	h->nlmsg_flags |= extra_flags;
	h->nlmsg_seq = ++s->seq;
	do
		n = sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == m->len ? 0 : -EIO;
}

/* One datagram from the kernel into s->rbuf: its length or -errno. */
static ssize_t nl_recv(struct nl_sock *s)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = s->rbuf, .iov_len = sizeof(s->rbuf) };
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov,
			     .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(s->fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	/* Only the kernel (port 0) may answer us. */
	if (sa.nl_pid != 0)
		return 0;
	return n;
}

/* The errno of an NLMSG_ERROR message (0 for an ack). */
static int nl_error_of(const struct nlmsghdr *h)
{
	const struct nlmsgerr *e = nl_family_hdr(h, sizeof(*e));

	if (!e)
		return -EBADMSG;
	return e->error > 0 ? -EPROTO : e->error;
}

/* Reads answers to sequence number seq: NLMSG_ERROR and NLMSG_DONE end it (their
 * error is returned); other messages go to cb, whose first non-zero return is
 * kept and returned once the answer is complete. */
static int nl_collect(struct nl_sock *s, nl_dump_cb cb, void *arg)
{
	int cb_ret = 0;

	for (;;) {
		ssize_t n = nl_recv(s);
		const uint8_t *p = s->rbuf;
		size_t len = n > 0 ? (size_t)n : 0;
		const struct nlmsghdr *h;
		int r;

		if (n < 0)
			return (int)n;
		while ((r = nl_next(&p, &len, &h)) == 1) {
			if (h->nlmsg_seq != s->seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = nl_error_of(h);
				return r ? r : cb_ret;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump that failed part-way says so here. */
				const int *e = nl_family_hdr(h, sizeof(int));

				return e && *e < 0 ? *e : cb_ret;
			}
			if (!cb_ret && cb)
				cb_ret = cb(h, arg);
		}
		if (r < 0)
			return r;
	}
}

int nl_talk(struct nl_sock *s, struct nl_msg *m)
{
	int err = nl_send(s, m, NLM_F_ACK);

	return err ? err : nl_collect(s, NULL, NULL);
}

int nl_dump(struct nl_sock *s, struct nl_msg *m, nl_dump_cb cb, void *arg)
{
	int err = nl_send(s, m, NLM_F_DUMP);

	return err ? err : nl_collect(s, cb, arg);
}
