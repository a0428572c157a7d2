/* The agent protocol's framing and primitives: the header, the output buffer, the
 * bounded reader, the decode arena, and the small fixed messages. The container
 * spec and exec request live in proto_spec.c, stream I/O in proto_io.c. */
#include "common/proto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ------------------------------------------------------------------------ */

struct proto_chunk {
	struct proto_chunk *next;
	size_t used, size;
	max_align_t data[];
};

#define PROTO_CHUNK_SIZE 16384

void *proto_arena_alloc(struct proto_arena *a, size_t n)
{
	struct proto_chunk *c = a->head;
	size_t need = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	void *p;

	if (need < n)
		return NULL;
	if (!c || c->size - c->used < need) {
		size_t size = need > PROTO_CHUNK_SIZE ? need : PROTO_CHUNK_SIZE;

		c = calloc(1, sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		/* A chunk bigger than the default goes behind the current one, so the
		 * current one's free space stays in use. */
		if (a->head && size > PROTO_CHUNK_SIZE) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

void proto_arena_fini(struct proto_arena *a)
{
	while (a->head) {
		struct proto_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

/* ---- output buffer ------------------------------------------------------------------- */

void proto_buf_init(struct proto_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void proto_buf_fini(struct proto_buf *b)
{
	free(b->data);
	proto_buf_init(b);
}

void proto_buf_reset(struct proto_buf *b)
{
	b->len = b->start = 0;
	b->err = 0;
}

static uint8_t *proto_buf_room(struct proto_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD || b->len - b->start + n >
	    PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < n)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->data = d;
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

static void proto_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void proto_le32(uint8_t *p, uint32_t v)
{
	proto_le16(p, (uint16_t)v);
	proto_le16(p + 2, (uint16_t)(v >> 16));
}

void proto_put_u16(struct proto_buf *b, uint16_t v)
{
	uint8_t *p = proto_buf_room(b, 2);

	if (p)
		proto_le16(p, v);
}

void proto_put_u32(struct proto_buf *b, uint32_t v)
{
	uint8_t *p = proto_buf_room(b, 4);

	if (p)
		proto_le32(p, v);
}

void proto_put_u64(struct proto_buf *b, uint64_t v)
{
	proto_put_u32(b, (uint32_t)v);
	proto_put_u32(b, (uint32_t)(v >> 32));
}

void proto_put_str(struct proto_buf *b, const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	uint8_t *p;

	if (n > max) {
		if (!b->err)
			b->err = -E2BIG;
		return;
	}
	proto_put_u32(b, (uint32_t)n);
	p = proto_buf_room(b, n);
	if (p && n)
		memcpy(p, s, n);
}

void proto_put_strv(struct proto_buf *b, const struct proto_strv *l, uint32_t max_n,
		    size_t max_len)
{
	if (l->n > max_n) {
		if (!b->err)
			b->err = -E2BIG;
		return;
	}
	proto_put_u32(b, l->n);
	for (uint32_t i = 0; i < l->n; i++)
		proto_put_str(b, l->v[i], max_len);
}

void proto_put_bytes(struct proto_buf *b, const void *p, size_t n)
{
	uint8_t *d = proto_buf_room(b, n);

	if (d && n)
		memcpy(d, p, n);
}

void proto_begin(struct proto_buf *b, uint16_t type, uint32_t id)
{
	uint8_t *p;

	b->start = b->len;
	p = proto_buf_room(b, PROTO_HDR_SIZE);
	if (!p)
		return;
	proto_le32(p, 0);
	proto_le16(p + 4, PROTO_VERSION);
	proto_le16(p + 6, type);
	proto_le32(p + 8, id);
}

int proto_end(struct proto_buf *b)
{
	if (b->err) {
		int err = b->err;

		/* Drop the partial message; earlier whole ones stay and can be sent. */
		b->len = b->start;
		b->err = 0;
		return err;
	}
	proto_le32(b->data + b->start, (uint32_t)(b->len - b->start - PROTO_HDR_SIZE));
	b->start = b->len;
	return 0;
}

/* ---- reader ------------------------------------------------------------------------ */

int proto_hdr_decode(const void *buf, size_t n, struct proto_hdr *h)
{
	const uint8_t *p = buf;

	if (n < PROTO_HDR_SIZE)
		return -EAGAIN;
	h->len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	h->version = (uint16_t)(p[4] | p[5] << 8);
	h->type = (uint16_t)(p[6] | p[7] << 8);
	h->id = (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
	if (h->version != PROTO_VERSION)
		return -EPROTO;
	if (h->len > PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	return 0;
}

void proto_rd_init(struct proto_rd *r, const void *payload, size_t len, struct proto_arena *a)
{
	r->p = payload;
	r->n = len;
	r->err = 0;
	r->arena = a;
}

static void proto_rd_fail(struct proto_rd *r, int err)
{
	if (!r->err)
		r->err = err;
	r->n = 0;
}

static const uint8_t *proto_take(struct proto_rd *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->err || r->n < n) {
		proto_rd_fail(r, -EBADMSG);
		return NULL;
	}
	r->p += n;
	r->n -= n;
	return p;
}

uint16_t proto_get_u16(struct proto_rd *r)
{
	const uint8_t *p = proto_take(r, 2);

	return p ? (uint16_t)(p[0] | p[1] << 8) : 0;
}

uint32_t proto_get_u32(struct proto_rd *r)
{
	const uint8_t *p = proto_take(r, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			   (uint32_t)p[3] << 24
		 : 0;
}

void proto_get_bytes(struct proto_rd *r, void *dst, size_t n)
{
	const uint8_t *p = proto_take(r, n);

	if (p)
		memcpy(dst, p, n);
	else
		memset(dst, 0, n);
}

uint64_t proto_get_u64(struct proto_rd *r)
{
	uint64_t lo = proto_get_u32(r);

	return lo | (uint64_t)proto_get_u32(r) << 32;
}

/* The bytes of a string after its length, checked against max and for NULs. */
static const uint8_t *proto_get_strbytes(struct proto_rd *r, size_t max, uint32_t *len)
{
	uint32_t n = proto_get_u32(r);
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (n > max) {
		proto_rd_fail(r, -E2BIG);
		return NULL;
	}
	p = proto_take(r, n);
	if (p && memchr(p, 0, n)) {
		proto_rd_fail(r, -EBADMSG);
		return NULL;
	}
	*len = n;
	return p;
}

const char *proto_get_str(struct proto_rd *r, size_t max)
{
	uint32_t n = 0;
	const uint8_t *p = proto_get_strbytes(r, max, &n);
	char *s;

	if (!p)
		return "";
	s = r->arena ? proto_arena_alloc(r->arena, (size_t)n + 1) : NULL;
	if (!s) {
		proto_rd_fail(r, -ENOMEM);
		return "";
	}
	memcpy(s, p, n);
	return s;
}

void proto_get_strbuf(struct proto_rd *r, char *dst, size_t size)
{
	uint32_t n = 0;
	const uint8_t *p = proto_get_strbytes(r, size - 1, &n);

	if (!p)
		n = 0;
	memcpy(dst, p ? p : (const uint8_t *)"", n);
	dst[n] = 0;
}

uint32_t proto_get_count(struct proto_rd *r, uint32_t max, size_t min_size)
{
	uint32_t n = proto_get_u32(r);

	if (r->err)
		return 0;
	if (n > max) {
		proto_rd_fail(r, -E2BIG);
		return 0;
	}
	if (min_size && n > r->n / min_size) {
		proto_rd_fail(r, -EBADMSG);
		return 0;
	}
	return n;
}

void proto_get_strv(struct proto_rd *r, struct proto_strv *l, uint32_t max_n, size_t max_len)
{
	uint32_t n = proto_get_count(r, max_n, 4);
	const char **v;

	l->n = 0;
	l->v = NULL;
	if (r->err)
		return;
	v = r->arena ? proto_arena_alloc(r->arena, ((size_t)n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		proto_rd_fail(r, -ENOMEM);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		v[i] = proto_get_str(r, max_len);
	l->n = r->err ? 0 : n;
	l->v = v;
}

int proto_rd_end(struct proto_rd *r)
{
	if (!r->err && r->n)
		r->err = -EBADMSG; /* trailing bytes */
	return r->err;
}

/* ---- the small messages -------------------------------------------------------------- */

int proto_enc_empty(struct proto_buf *b, uint16_t type, uint32_t id)
{
	proto_begin(b, type, id);
	return proto_end(b);
}

int proto_enc_hello(struct proto_buf *b, const struct proto_hello *h)
{
	proto_begin(b, PROTO_HELLO, 0);
	proto_put_u64(b, h->uptime_ns);
	proto_put_str(b, h->version, PROTO_MAX_NAME);
	return proto_end(b);
}

int proto_dec_hello(const void *p, size_t n, struct proto_hello *h)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	h->uptime_ns = proto_get_u64(&r);
	proto_get_strbuf(&r, h->version, sizeof(h->version));
	return proto_rd_end(&r);
}

int proto_enc_result(struct proto_buf *b, uint16_t type, uint32_t id, const struct proto_result *res)
{
	proto_begin(b, type, id);
	proto_put_u32(b, (uint32_t)res->err);
	proto_put_u32(b, res->pid);
	proto_put_u64(b, res->uptime_ns);
	proto_put_str(b, res->msg, PROTO_MAX_TEXT);
	return proto_end(b);
}

int proto_dec_result(const void *p, size_t n, struct proto_result *res)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	res->err = (int32_t)proto_get_u32(&r);
	res->pid = proto_get_u32(&r);
	res->uptime_ns = proto_get_u64(&r);
	proto_get_strbuf(&r, res->msg, sizeof(res->msg));
	/* An error is negative; a positive one would be misread by every caller. */
	if (!r.err && (res->err > 0 || res->err < -4095))
		r.err = -EBADMSG;
	return proto_rd_end(&r);
}

int proto_enc_signal(struct proto_buf *b, uint32_t id, const struct proto_signal *s)
{
	proto_begin(b, PROTO_SIGNAL, id);
	proto_put_u32(b, s->proc_id);
	proto_put_u32(b, s->signo);
	proto_put_u32(b, s->flags);
	return proto_end(b);
}

int proto_dec_signal(const void *p, size_t n, struct proto_signal *s)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	s->proc_id = proto_get_u32(&r);
	s->signo = proto_get_u32(&r);
	s->flags = proto_get_u32(&r);
	if (!r.err && (s->signo > 64 || (s->flags & ~PROTO_SIGNAL_ALL)))
		r.err = -EINVAL;
	return proto_rd_end(&r);
}

int proto_enc_resize(struct proto_buf *b, uint32_t id, const struct proto_resize *rs)
{
	proto_begin(b, PROTO_RESIZE, id);
	proto_put_u32(b, rs->proc_id);
	proto_put_u16(b, rs->rows);
	proto_put_u16(b, rs->cols);
	return proto_end(b);
}

int proto_dec_resize(const void *p, size_t n, struct proto_resize *rs)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	rs->proc_id = proto_get_u32(&r);
	rs->rows = proto_get_u16(&r);
	rs->cols = proto_get_u16(&r);
	return proto_rd_end(&r);
}

int proto_enc_exit(struct proto_buf *b, const struct proto_exit *e)
{
	proto_begin(b, PROTO_EXIT, 0);
	proto_put_u32(b, e->proc_id);
	proto_put_u32(b, e->pid);
	proto_put_u32(b, e->signaled);
	proto_put_u32(b, (uint32_t)e->code);
	return proto_end(b);
}

int proto_dec_exit(const void *p, size_t n, struct proto_exit *e)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	e->proc_id = proto_get_u32(&r);
	e->pid = proto_get_u32(&r);
	e->signaled = proto_get_u32(&r);
	e->code = (int32_t)proto_get_u32(&r);
	if (!r.err && (e->signaled > 1 || e->code < 0 || e->code > 255))
		r.err = -EBADMSG;
	return proto_rd_end(&r);
}

int proto_exit_status(const struct proto_exit *e)
{
	return e->signaled ? 128 + e->code : e->code;
}

int proto_enc_oom(struct proto_buf *b, const struct proto_oom *o)
{
	proto_begin(b, PROTO_OOM, 0);
	proto_put_u64(b, o->count);
	return proto_end(b);
}

int proto_dec_oom(const void *p, size_t n, struct proto_oom *o)
{
	struct proto_rd r;

	proto_rd_init(&r, p, n, NULL);
	o->count = proto_get_u64(&r);
	return proto_rd_end(&r);
}

int proto_enc_ps_result(struct proto_buf *b, uint32_t id, const uint32_t *pids, uint32_t n)
{
	proto_begin(b, PROTO_PS_RESULT, id);
	if (n > PROTO_MAX_PIDS && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, n);
	for (uint32_t i = 0; i < n && !b->err; i++)
		proto_put_u32(b, pids[i]);
	return proto_end(b);
}

int proto_dec_ps_result(const void *p, size_t n, uint32_t *pids, uint32_t max, uint32_t *count)
{
	struct proto_rd r;
	uint32_t c;

	proto_rd_init(&r, p, n, NULL);
	c = proto_get_count(&r, PROTO_MAX_PIDS, 4);
	for (uint32_t i = 0; i < c; i++) {
		uint32_t pid = proto_get_u32(&r);

		if (i < max)
			pids[i] = pid;
	}
	*count = r.err ? 0 : c;
	return proto_rd_end(&r);
}
