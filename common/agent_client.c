/* A blocking host-side client for the agent protocol (see agent_client.h). */
#include "common/agent_client.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"

int agent_listen(const char *prefix, uint32_t port, int *lfd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	ret = proto_port_path(sun.sun_path, sizeof(sun.sun_path), prefix, port);
	if (ret)
		return ret;
	if (!lstat(sun.sun_path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(sun.sun_path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*lfd = fd;
	return 0;
}

static int agent_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

int agent_accept(int lfd, int timeout_ms, int *fd)
{
	int ret = agent_wait_readable(lfd, timeout_ms);

	if (ret)
		return ret;
	*fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return *fd < 0 ? -errno : 0;
}

int agent_decode_event(uint16_t type, const uint8_t *p, uint32_t len, struct agent_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	switch (type) {
	case PROTO_EXIT:
		return proto_dec_exit(p, len, &ev->exit);
	case PROTO_OOM:
		return proto_dec_oom(p, len, &ev->oom);
	case PROTO_FATAL:
		return proto_dec_result(p, len, &ev->fatal);
	default:
		return -EPROTO;
	}
}

static int agent_queue_event(struct agent_conn *c, const struct agent_event *ev)
{
	if (c->qhead && c->qhead == c->nqueue)
		c->qhead = c->nqueue = 0;
	if (c->nqueue == c->qcap) {
		uint32_t cap = c->qcap ? c->qcap * 2 : 8;
		struct agent_event *q = realloc(c->queue, cap * sizeof(*q));

		if (!q)
			return -ENOMEM;
		c->queue = q;
		c->qcap = cap;
	}
	c->queue[c->nqueue++] = *ev;
	return 0;
}

/* len bytes into buf by until_ns (monotonic): a guest that starts a message and
 * stalls halfway must not hold a blocking read for ever. */
static int agent_read_by(int fd, void *buf, size_t len, uint64_t until_ns, bool started)
{
	size_t got = 0;

	while (got < len) {
		uint64_t now = util_now_ns();
		ssize_t n;
		int ret;

		if (now >= until_ns)
			return -ETIMEDOUT;
		ret = agent_wait_readable(fd, (int)MIN((until_ns - now) / 1000000 + 1, 3600000u));
		if (ret)
			return ret;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got || started ? -EBADMSG : -ESHUTDOWN;
		got += (size_t)n;
	}
	return 0;
}

/* Reads one whole message, waiting at most timeout_ms for its start and
 * c->msg_timeout_ms for the rest. *p is malloc'd, NULL on failure. */
static int agent_read(struct agent_conn *c, int timeout_ms, struct proto_hdr *h, uint8_t **p)
{
	uint8_t hdr[PROTO_HDR_SIZE];
	uint64_t until;
	int ret = agent_wait_readable(c->fd, timeout_ms);

	*p = NULL;
	if (ret)
		return ret;
	until = util_now_ns() + (uint64_t)(c->msg_timeout_ms > 0 ? c->msg_timeout_ms : 1) * 1000000;
	ret = agent_read_by(c->fd, hdr, sizeof(hdr), until, false);
	if (!ret)
		ret = proto_hdr_decode(hdr, sizeof(hdr), h);
	if (ret)
		return ret;
	/* One spare byte so that an empty payload still gets a non-NULL buffer. */
	*p = malloc((size_t)h->len + 1);
	if (!*p)
		return -ENOMEM;
	ret = agent_read_by(c->fd, *p, h->len, until, true);
	if (ret) {
		free(*p);
		*p = NULL;
	}
	return ret;
}

/* Sends b's request and waits for the message answering it; events that arrive
 * first are queued. *p is malloc'd. */
static int agent_call(struct agent_conn *c, struct proto_buf *b, uint32_t id, uint16_t want,
		      uint8_t **p, uint32_t *len)
{
	struct proto_hdr h;
	int ret = proto_send(c->fd, b);

	proto_buf_fini(b);
	while (!ret) {
		struct agent_event ev;

		ret = agent_read(c, c->timeout_ms, &h, p);
		if (ret)
			break;
		if (h.id == id && (h.type == want || h.type == PROTO_RESULT)) {
			if (h.type != want) {
				free(*p);
				*p = NULL;
				return -EPROTO;
			}
			*len = h.len;
			return 0;
		}
		ret = h.id ? -EPROTO : agent_decode_event(h.type, *p, h.len, &ev);
		if (!ret)
			ret = agent_queue_event(c, &ev);
		free(*p);
		*p = NULL;
	}
	return ret;
}

/* b holds the request with this id, or enc is why it could not be encoded. */
static int agent_call_result(struct agent_conn *c, struct proto_buf *b, uint32_t id, int enc,
			     struct proto_result *res)
{
	uint32_t len = 0;
	uint8_t *p = NULL;
	int ret;

	if (enc) {
		proto_buf_fini(b);
		return enc;
	}
	ret = agent_call(c, b, id, PROTO_RESULT, &p, &len);
	if (!ret)
		ret = proto_dec_result(p, len, res);
	free(p);
	return ret;
}

static uint32_t agent_id(struct agent_conn *c)
{
	if (!c->next_id)
		c->next_id = 1;
	return c->next_id++;
}

int agent_open(struct agent_conn *c, int fd, int timeout_ms, struct proto_result *fatal)
{
	struct proto_hdr h;
	uint8_t *p = NULL;
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->next_id = 1;
	c->timeout_ms = -1;
	c->msg_timeout_ms = AGENT_MSG_TIMEOUT_MS;
	ret = agent_read(c, timeout_ms, &h, &p);
	if (!ret && h.type == PROTO_HELLO)
		ret = proto_dec_hello(p, h.len, &c->hello);
	else if (!ret && h.type == PROTO_FATAL) {
		struct proto_result r;

		ret = proto_dec_result(p, h.len, &r);
		if (!ret && fatal)
			*fatal = r;
		if (!ret)
			ret = -EIO;
	} else if (!ret) {
		ret = -EPROTO;
	}
	free(p);
	return ret;
}

void agent_close(struct agent_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->queue);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int agent_create(struct agent_conn *c, const struct proto_spec *spec, struct proto_result *res)
{
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_spec(&b, id, spec), res);
}

int agent_start(struct agent_conn *c, struct proto_result *res)
{
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_empty(&b, PROTO_START, id), res);
}

int agent_exec(struct agent_conn *c, const struct proto_exec *e, struct proto_result *res)
{
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_exec(&b, id, e), res);
}

int agent_signal(struct agent_conn *c, uint32_t proc_id, int signo, uint32_t flags,
		 struct proto_result *res)
{
	struct proto_signal s = { .proc_id = proc_id, .signo = (uint32_t)signo, .flags = flags };
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_signal(&b, id, &s), res);
}

int agent_update(struct agent_conn *c, const struct proto_kv *kv, uint32_t n,
		 struct proto_result *res)
{
	struct proto_update u = { .n_cgroup = n, .cgroup = (struct proto_kv *)kv };
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_update(&b, id, &u), res);
}

int agent_resize(struct agent_conn *c, uint32_t proc_id, uint16_t rows, uint16_t cols,
		 struct proto_result *res)
{
	struct proto_resize r = { .proc_id = proc_id, .rows = rows, .cols = cols };
	struct proto_buf b;
	uint32_t id = agent_id(c);

	proto_buf_init(&b);
	return agent_call_result(c, &b, id, proto_enc_resize(&b, id, &r), res);
}

int agent_ps(struct agent_conn *c, uint32_t *pids, uint32_t max, uint32_t *n)
{
	struct proto_buf b;
	uint32_t id, len = 0;
	uint8_t *p = NULL;
	int ret;

	proto_buf_init(&b);
	id = agent_id(c);
	ret = proto_enc_empty(&b, PROTO_PS, id);
	if (ret) {
		proto_buf_fini(&b);
		return ret;
	}
	ret = agent_call(c, &b, id, PROTO_PS_RESULT, &p, &len);
	if (!ret)
		ret = proto_dec_ps_result(p, len, pids, max, n);
	free(p);
	return ret;
}

int agent_next_event(struct agent_conn *c, int timeout_ms, struct agent_event *ev)
{
	struct proto_hdr h;
	uint8_t *p = NULL;
	int ret;

	if (c->qhead < c->nqueue) {
		*ev = c->queue[c->qhead++];
		return 0;
	}
	ret = agent_read(c, timeout_ms, &h, &p);
	if (!ret)
		ret = h.id ? -EPROTO : agent_decode_event(h.type, p, h.len, ev);
	free(p);
	return ret;
}
