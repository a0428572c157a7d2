/* virtio-vsock wire format (virtio 1.2, 5.10.6): the 44-byte little-endian packet
 * header, the checks every guest header goes through, the hybrid socket's CONNECT
 * line, and the credit arithmetic. Pure functions, no I/O. */
#include "vmm/virtio/vsock_conn.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

/* Byte offsets within the header. */
#define OFF_SRC_CID 0
#define OFF_DST_CID 8
#define OFF_SRC_PORT 16
#define OFF_DST_PORT 20
#define OFF_LEN 24
#define OFF_TYPE 28
#define OFF_OP 30
#define OFF_FLAGS 32
#define OFF_BUF_ALLOC 36
#define OFF_FWD_CNT 40

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_LEN], struct vsock_hdr *h)
{
	h->src_cid = get64(raw + OFF_SRC_CID);
	h->dst_cid = get64(raw + OFF_DST_CID);
	h->src_port = get32(raw + OFF_SRC_PORT);
	h->dst_port = get32(raw + OFF_DST_PORT);
	h->len = get32(raw + OFF_LEN);
	h->type = get16(raw + OFF_TYPE);
	h->op = get16(raw + OFF_OP);
	h->flags = get32(raw + OFF_FLAGS);
	h->buf_alloc = get32(raw + OFF_BUF_ALLOC);
	h->fwd_cnt = get32(raw + OFF_FWD_CNT);
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_LEN])
{
	put64(raw + OFF_SRC_CID, h->src_cid);
	put64(raw + OFF_DST_CID, h->dst_cid);
	put32(raw + OFF_SRC_PORT, h->src_port);
	put32(raw + OFF_DST_PORT, h->dst_port);
	put32(raw + OFF_LEN, h->len);
	put16(raw + OFF_TYPE, h->type);
	put16(raw + OFF_OP, h->op);
	put32(raw + OFF_FLAGS, h->flags);
	put32(raw + OFF_BUF_ALLOC, h->buf_alloc);
	put32(raw + OFF_FWD_CNT, h->fwd_cnt);
}

static enum vsock_verdict verdict(const struct vsock_hdr *h, const char *reason, const char **why)
{
	if (why)
		*why = reason;
	/* Never answer an RST with an RST: two broken peers would ping-pong forever. */
	return h->op == VSOCK_OP_RST ? VSOCK_PKT_DROP : VSOCK_PKT_RST;
}

enum vsock_verdict vsock_hdr_check(const struct vsock_hdr *h, uint64_t guest_cid,
				   uint32_t payload_avail, const char **why)
{
	if (h->src_cid != guest_cid) {
		/* Not the guest's own address: an answer would go nowhere it listens. */
		if (why)
			*why = "bad src_cid";
		return VSOCK_PKT_DROP;
	}
	if (h->dst_cid != VSOCK_HOST_CID)
		return verdict(h, "dst_cid is not the host", why);
	if (h->type != VSOCK_TYPE_STREAM)
		return verdict(h, "type is not STREAM", why);
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return verdict(h, "unknown op", why);
	if (h->len > VSOCK_MAX_PAYLOAD)
		return verdict(h, "len too large", why);
	if (h->len > payload_avail)
		return verdict(h, "len past the end of the chain", why);
	if (h->len && h->op != VSOCK_OP_RW)
		return verdict(h, "payload on a control packet", why);
	if (why)
		*why = NULL;
	return VSOCK_PKT_OK;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

int vsock_parse_connect(const char *line, size_t len, uint32_t *port)
{
	static const char word[] = "connect";
	size_t i = 0, digits = 0;
	uint64_t v = 0;

	/* Firecracker's clients send "CONNECT"; be as lenient about case and blanks
	 * as it is, and strict about everything else. */
	if (len < sizeof(word) - 1 || strncasecmp(line, word, sizeof(word) - 1) != 0)
		return -EINVAL;
	i = sizeof(word) - 1;
	if (i == len || !is_blank(line[i]))
		return -EINVAL;
	while (i < len && is_blank(line[i]))
		i++;
	while (i < len && line[i] >= '0' && line[i] <= '9') {
		v = v * 10 + (uint64_t)(line[i] - '0');
		if (++digits > 10 || v > UINT32_MAX)
			return -EINVAL;
		i++;
	}
	if (!digits)
		return -EINVAL;
	while (i < len && is_blank(line[i]))
		i++;
	if (i != len)
		return -EINVAL;
	*port = (uint32_t)v;
	return 0;
}

uint32_t vsock_credit(uint32_t buf_alloc, uint32_t fwd_cnt, uint32_t tx_cnt)
{
	uint32_t in_flight = tx_cnt - fwd_cnt;

	/* A peer claiming to have consumed more than we sent (or a buffer that shrank
	 * under what is in flight) gets nothing rather than a wrapped-around fortune. */
	return in_flight > buf_alloc ? 0 : buf_alloc - in_flight;
}

unsigned vsock_iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t max,
			 struct iovec *dst)
{
	unsigned out = 0;

	for (unsigned i = 0; i < n && max; i++) {
		size_t l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > max)
			l = max;
		dst[out].iov_base = (uint8_t *)src[i].iov_base + skip;
		dst[out].iov_len = l;
		out++;
		max -= l;
		skip = 0;
	}
	return out;
}
