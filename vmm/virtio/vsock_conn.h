/* Internals of virtio-vsock shared by its files (not for other modules): the packet
 * header and its validation (vsock_pkt.c), the connection table and state machine
 * (vsock_conn.c), and the socket side of a connection (vsock_io.c). None of this
 * touches a virtqueue: the device (vsock.c) hands in the header and payload iovecs
 * of each guest packet and asks for the next packet to put in an rx buffer, so the
 * whole protocol can be driven directly by unit tests. */
#ifndef RUNVM_VMM_VIRTIO_VSOCK_CONN_H
#define RUNVM_VMM_VIRTIO_VSOCK_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/ev.h"
#include "vmm/virtio/queue.h"

#define VSOCK_HOST_CID 2
#define VSOCK_HDR_LEN 44
#define VSOCK_TYPE_STREAM 1

#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7

#define VSOCK_SHUT_RCV 1
#define VSOCK_SHUT_SEND 2
#define VSOCK_SHUT_BOTH 3

/* Linux's own largest packet (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE); anything bigger is
 * hostile or broken. */
#define VSOCK_MAX_PAYLOAD (64u * 1024)
/* Our buf_alloc: guest->host bytes we hold per connection while its Unix socket
 * would block. The guest may never have more than this in flight. */
#define VSOCK_BUF_ALLOC (256u * 1024)
/* Consumed-but-unadvertised bytes after which we send a CREDIT_UPDATE: well before
 * the guest can run dry, yet rare enough to cost nothing. */
#define VSOCK_CREDIT_THRESHOLD (64u * 1024)
#define VSOCK_MAX_CONNS 1024
#define VSOCK_HASH_SIZE 1024        /* power of two */
#define VSOCK_ORPHAN_MAX 256        /* RSTs owed for packets with no connection */
#define VSOCK_LINE_MAX 64           /* "CONNECT <port>\n" and some slack */
#define VSOCK_FIRST_HOST_PORT 1024
/* Host client that does not finish its CONNECT line, guest that does not answer a
 * REQUEST, or guest that does not answer our closing SHUTDOWN with RST. */
#define VSOCK_TIMEOUT_NS (10ull * 1000 * 1000 * 1000)

/* A decoded header (host byte order). */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

enum vsock_verdict {
	VSOCK_PKT_OK,
	VSOCK_PKT_DROP, /* not even worth an answer */
	VSOCK_PKT_RST,  /* answer with RST to its sender */
};

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_LEN], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_LEN]);
/* Checks a guest (tx) header; payload_avail is what the chain holds after it.
 * *why (if non-NULL) gets a short reason for logs. */
enum vsock_verdict vsock_hdr_check(const struct vsock_hdr *h, uint64_t guest_cid,
				   uint32_t payload_avail, const char **why);
/* Parses one "CONNECT <port>" line (without its '\n'). 0 or -EINVAL. */
int vsock_parse_connect(const char *line, size_t len, uint32_t *port);
/* Bytes we may still send to a peer that advertised buf_alloc/fwd_cnt when we
 * have sent tx_cnt in total (wrapping counters; a lying peer just gets 0). */
uint32_t vsock_credit(uint32_t buf_alloc, uint32_t fwd_cnt, uint32_t tx_cnt);
/* dst = src[skip, skip+max) as iovecs; dst has room for n entries. Returns count. */
unsigned vsock_iov_slice(const struct iovec *src, unsigned n, size_t skip, size_t max,
			 struct iovec *dst);

enum vsock_state {
	VSOCK_ST_HANDSHAKE,   /* host-initiated: reading "CONNECT <port>\n" */
	VSOCK_ST_REQUEST,     /* host-initiated: REQUEST owed or sent, awaiting RESPONSE */
	VSOCK_ST_ESTABLISHED,
	VSOCK_ST_CLOSING,     /* host side gone, SHUTDOWN both sent, awaiting guest RST */
};

/* Control packets a connection owes the guest (bits of vsock_conn.owed). */
#define VSOCK_OWE_REQUEST (1u << 0)
#define VSOCK_OWE_RESPONSE (1u << 1)
#define VSOCK_OWE_CREDIT_UPDATE (1u << 2)
#define VSOCK_OWE_CREDIT_REQUEST (1u << 3)
#define VSOCK_OWE_SHUTDOWN (1u << 4)

struct vsock_ctx;

struct vsock_conn {
	struct vsock_ctx *ctx;
	int fd;                       /* the Unix socket; -1 once closed */
	bool in_loop;                 /* fd is registered with the event loop */
	enum vsock_state state;
	uint32_t host_port, guest_port;
	struct vsock_conn *hnext;     /* hash chain (not in the table while HANDSHAKE) */
	struct vsock_conn *prev, *next; /* every connection */
	struct vsock_conn *rprev, *rnext; /* ready list: owes the rx queue something */
	bool on_ready;
	bool hashed;                  /* in ctx->hash (every state but HANDSHAKE) */
	uint32_t owed;                /* VSOCK_OWE_* */
	uint32_t guest_shut;          /* SHUTDOWN flags received from the guest */
	uint32_t host_shut;           /* SHUTDOWN flags sent (or owed) to the guest */
	bool readable;                /* edge seen, no EAGAIN since */
	bool rd_eof;                  /* the Unix socket read returned 0 */
	bool hup;                     /* the Unix peer closed both directions */
	bool wr_shut;                 /* we did shutdown(SHUT_WR) */
	/* host -> guest credit */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	bool credit_req_sent;         /* one CREDIT_REQUEST per stall */
	/* guest -> host: fwd_cnt counts bytes written to the Unix socket */
	uint32_t fwd_cnt, fwd_cnt_sent;
	uint8_t *buf;                 /* VSOCK_BUF_ALLOC bytes: data the socket refused */
	uint32_t buf_head, buf_len;
	uint64_t deadline_ns;         /* 0: none */
};

struct vsock_orphan {
	uint64_t src_cid;             /* as the guest addressed it */
	uint32_t host_port, guest_port;
};

struct vsock_ctx {
	struct ev_loop *loop;
	ev_cb sock_cb;                /* callback for connection sockets, arg = conn */
	const char *uds_path;
	uint64_t guest_cid;
	unsigned nr_conns, nr_deadlines;
	bool cap_warned;              /* the connection cap is logged once */
	uint32_t next_port;
	struct vsock_conn *hash[VSOCK_HASH_SIZE];
	struct vsock_conn *all;
	struct vsock_conn *ready_head, *ready_tail;
	struct vsock_orphan orphan[VSOCK_ORPHAN_MAX];
	unsigned orphan_head, orphan_len;
};

/* vsock_conn.c: table, lifecycle and the guest side of the state machine. */
void vsock_ctx_init(struct vsock_ctx *x, struct ev_loop *loop, ev_cb sock_cb,
		    const char *uds_path, uint64_t guest_cid);
/* Drops every connection (device reset, destroy) and every owed RST. */
void vsock_ctx_reset(struct vsock_ctx *x);
/* One packet from the tx queue: header plus its payload, `skip` bytes into iov. */
void vsock_ctx_guest_pkt(struct vsock_ctx *x, const struct vsock_hdr *h, const struct iovec *iov,
			 unsigned n, size_t skip, uint32_t payload_avail);
/* Fills one rx buffer (in_len bytes over iov). Returns bytes written (> 0), 0 if
 * nothing is owed right now, -EINVAL if the buffer cannot hold a header. */
int vsock_ctx_next_rx(struct vsock_ctx *x, const struct iovec *iov, unsigned n, uint32_t in_len);
bool vsock_ctx_has_rx(const struct vsock_ctx *x);
/* Acts on every deadline at or before now_ns. */
void vsock_ctx_expire(struct vsock_ctx *x, uint64_t now_ns);
struct vsock_conn *vsock_ctx_lookup(const struct vsock_ctx *x, uint32_t host_port,
				    uint32_t guest_port);
/* Takes an accepted host client (non-blocking fd, owned from here on). 0 or
 * -errno (fd closed). *out (optional) gets the connection. */
int vsock_ctx_host_accept(struct vsock_ctx *x, int fd, struct vsock_conn **out);

/* Helpers for vsock_io.c. */
void vsock_conn_kick(struct vsock_conn *c);
void vsock_conn_reset(struct vsock_conn *c);   /* RST to the guest, then free */
void vsock_conn_free(struct vsock_conn *c);    /* silent */
void vsock_conn_close_fd(struct vsock_conn *c);
void vsock_conn_set_deadline(struct vsock_conn *c, uint64_t when_ns);
/* A valid "CONNECT <port>" line arrived: pick a host port, owe the guest a REQUEST. */
int vsock_conn_host_request(struct vsock_conn *c, uint32_t guest_port);
/* Frees c (RST first) once the guest has shut both ways and our buffer is empty.
 * True if c is gone. */
bool vsock_conn_finish_if_done(struct vsock_conn *c);
bool vsock_conn_want_read(const struct vsock_conn *c);

/* vsock_io.c: the Unix socket side. */
/* Socket readiness (EPOLL* mask) for c. May free c. */
void vsock_io_event(struct vsock_conn *c, uint32_t events);
/* Guest payload for c: writes it to the socket, buffering what would block.
 * -EPIPE etc. on a dead socket, -ENOBUFS if the guest overran its credit. */
int vsock_io_write(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip,
		   uint32_t len);
/* Writes buffered data; then SHUT_WR if the guest has finished sending. 0 or -errno. */
int vsock_io_flush(struct vsock_conn *c);
/* Reads socket data into iov (at most max bytes). >0 bytes, 0 EOF, -EAGAIN, -errno. */
ssize_t vsock_io_read(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t skip,
		      size_t max);
/* Connects to "<uds_path>_<port>" without blocking; the fd or -errno. */
int vsock_io_connect(const char *uds_path, uint32_t port);
/* Queues a CREDIT_UPDATE once the guest may be running short. */
void vsock_io_credit_check(struct vsock_conn *c);

#endif
