/* Netlink for the runtime (reading a network namespace, tap and tc wiring) and for
 * runvm-init (configuring the guest's interfaces): messages built in a caller's
 * buffer, attributes parsed in place with every length checked, and a socket that
 * sends one request and waits for its answer or runs a dump. No libnl: the few
 * message kinds we need are simpler to write than to link.
 *
 * Building never writes past the buffer: an attribute that does not fit sets the
 * message's sticky error (-EMSGSIZE), which nl_msg_end and the senders return.
 * Parsing trusts nothing: a kernel answer is checked like any other input. */
#ifndef RUNVM_COMMON_NL_H
#define RUNVM_COMMON_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/* Big enough for any request we build (a tc filter with its action is ~150 bytes). */
#define NL_MSG_MAX 1024
/* Receive buffer: the kernel sends dump parts of at most a page or 8 KiB, more only
 * when asked (NETLINK_RECV_ANY_SIZE): 32 KiB is plenty. */
#define NL_RECV_MAX 32768

struct nl_msg {
	uint8_t buf[NL_MSG_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	int err;
	unsigned nest_depth;
	size_t nest[8]; /* offsets of the open nested attributes */
};

/* Starts a message: header with type and flags (NLM_F_REQUEST is added), then the
 * family header of hdr_len bytes (e.g. struct ifinfomsg), zeroed; returns it. */
void *nl_msg_init(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len);
struct nlmsghdr *nl_msg_hdr(struct nl_msg *m);
void nl_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_put_u8(struct nl_msg *m, uint16_t type, uint8_t v);
void nl_put_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_put_str(struct nl_msg *m, uint16_t type, const char *s); /* with its NUL */
void nl_nest_begin(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m);
/* 0, or the sticky error (also for nests left open). */
int nl_msg_end(struct nl_msg *m);

/* ---- parsing -------------------------------------------------------------------- */

/* Walks the messages of one datagram: *h gets the next one and p/len advance.
 * 1: a message; 0: the end; -EBADMSG: a length that does not fit. */
int nl_next(const uint8_t **p, size_t *len, const struct nlmsghdr **h);

/* Payload of h after a family header of hdr_len bytes, as attributes: NULL with
 * *len 0 when the message is too short for its family header. */
const void *nl_attrs(const struct nlmsghdr *h, size_t hdr_len, size_t *len);
/* The family header, or NULL when h is too short for it. */
const void *nl_family_hdr(const struct nlmsghdr *h, size_t hdr_len);

/* Indexes the attributes in [p, p+len) by type into tb[0..max] (unknown types
 * above max are skipped; a later duplicate wins). 0 or -EBADMSG. */
int nl_parse(const void *p, size_t len, const struct nlattr **tb, unsigned max);
const void *nl_data(const struct nlattr *a);
size_t nl_len(const struct nlattr *a);
/* Fixed-size reads: false when the attribute is absent or of another size. */
bool nl_get_u8(const struct nlattr *a, uint8_t *v);
bool nl_get_u32(const struct nlattr *a, uint32_t *v);
/* A string attribute into dst (NUL-terminated, at most size-1 bytes); false when
 * absent, empty, or too long. */
bool nl_get_str(const struct nlattr *a, char *dst, size_t size);

/* ---- the socket ----------------------------------------------------------------- */

struct nl_sock {
	int fd;
	uint32_t seq;
	uint8_t rbuf[NL_RECV_MAX] __attribute__((aligned(NLMSG_ALIGNTO)));
};

/* A NETLINK_ROUTE socket in the caller's network namespace (it stays bound to that
 * namespace for its life, whichever thread uses it later). 0 or -errno. */
int nl_open(struct nl_sock *s);
void nl_close(struct nl_sock *s);

/* Sends m (NLM_F_ACK added) and waits for the kernel's answer: 0 or its -errno. */
int nl_talk(struct nl_sock *s, struct nl_msg *m);

/* Sends m as a dump (NLM_F_DUMP added) and calls cb for every answer message
 * until NLMSG_DONE; a non-zero return from cb stops the dump (after draining it)
 * and is returned. */
typedef int (*nl_dump_cb)(const struct nlmsghdr *h, void *arg);
int nl_dump(struct nl_sock *s, struct nl_msg *m, nl_dump_cb cb, void *arg);

#endif
