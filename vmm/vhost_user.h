/* The front-end side of the vhost-user protocol (QEMU docs/interop/vhost-user.rst):
 * the VMM hands a virtio device's rings and guest RAM to a back-end process (here
 * virtiofsd) over a Unix socket, file descriptors travelling as SCM_RIGHTS.
 *
 * Only what a device whose queues live entirely in the back-end needs: features
 * and protocol features, SET_OWNER, the memory table (the guest RAM memfd, once per
 * region), vring num/addr/base, kick and call eventfds, ring enable, and
 * GET_VRING_BASE to stop a ring. Requests are synchronous: one message out, then
 * its reply (or, with REPLY_ACK, its acknowledgement) read with a timeout.
 *
 * State machine of a session (struct vhu):
 *   CONNECTED --vhu_handshake--> READY --vhu_start_vring--> RUNNING
 *   RUNNING --vhu_stop_vring (last ring)--> READY
 *   any --I/O error, timeout, malformed reply, peer close--> BROKEN (final)
 * A BROKEN session refuses every request with -ENOTCONN; the device using it
 * reports the failure and the VM goes on without it or stops. Nothing a back-end
 * sends is trusted: sizes, request codes, flags and stray fds are all checked. */
#ifndef RUNVM_VMM_VHOST_USER_H
#define RUNVM_VMM_VHOST_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/mem.h"

/* Front-end request codes (the subset we send, plus a few for messages). */
enum vhu_req {
	VHU_GET_FEATURES = 1,
	VHU_SET_FEATURES = 2,
	VHU_SET_OWNER = 3,
	VHU_RESET_OWNER = 4,
	VHU_SET_MEM_TABLE = 5,
	VHU_SET_VRING_NUM = 8,
	VHU_SET_VRING_ADDR = 9,
	VHU_SET_VRING_BASE = 10,
	VHU_GET_VRING_BASE = 11,
	VHU_SET_VRING_KICK = 12,
	VHU_SET_VRING_CALL = 13,
	VHU_SET_VRING_ERR = 14,
	VHU_GET_PROTOCOL_FEATURES = 15,
	VHU_SET_PROTOCOL_FEATURES = 16,
	VHU_GET_QUEUE_NUM = 17,
	VHU_SET_VRING_ENABLE = 18,
};

/* Header flags: version in bits 0-1, then reply and need-reply. */
#define VHU_VERSION 1u
#define VHU_VERSION_MASK 3u
#define VHU_FLAG_REPLY (1u << 2)
#define VHU_FLAG_NEED_REPLY (1u << 3)

/* Virtio feature bit 30 is vhost-user's own: "protocol features exist". */
#define VHU_F_PROTOCOL_FEATURES 30
/* Protocol feature bits we may negotiate. */
#define VHU_PROTOCOL_F_MQ 0
#define VHU_PROTOCOL_F_REPLY_ACK 3

#define VHU_HDR_SIZE 12u
#define VHU_MAX_REGIONS 8u         /* regions in one SET_MEM_TABLE */
#define VHU_MAX_PAYLOAD 264u       /* the memory table: 8 + 8 * 32 */
#define VHU_VRING_INDEX_MASK 0xffu
#define VHU_VRING_NOFD (1u << 8)   /* in a KICK/CALL payload: no fd attached */
#define VHU_DEFAULT_TIMEOUT_MS 10000

struct vhu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;                 /* payload bytes after the header */
};

struct vhu_vring_state {
	uint32_t index;
	uint32_t num;
};

struct vhu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;                 /* front-end virtual addresses, not guest-physical */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vhu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;                /* where the front-end has it mapped */
	uint64_t mmap_offset;          /* offset of gpa in the fd */
};

struct vhu_mem_table {
	uint32_t nregions;
	uint32_t padding;
	struct vhu_region r[VHU_MAX_REGIONS];
};

enum vhu_state { VHU_CONNECTED, VHU_READY, VHU_RUNNING, VHU_BROKEN };

struct vhu {
	int fd;                        /* the connected socket (owned) */
	enum vhu_state state;
	uint64_t features;             /* offered by the back-end */
	uint64_t protocol;             /* negotiated protocol features */
	unsigned max_queues;           /* GET_QUEUE_NUM, or 0 if the back-end has no MQ */
	bool acks;                     /* NEED_REPLY in use: REPLY_ACK agreed, features set */
	uint32_t running;              /* bit per ring started and not yet stopped */
	int timeout_ms;                /* per reply */
	int error;                     /* the -errno that broke the session */
};

/* Connects to a back-end listening on a Unix socket path. The fd or -errno. */
int vhu_connect(const char *path);

/* Takes ownership of a connected socket. */
void vhu_init(struct vhu *u, int fd);
/* Closes the socket (the back-end sees the front-end go away). */
void vhu_fini(struct vhu *u);

/* GET_FEATURES, protocol feature negotiation (the subset of want_protocol the
 * back-end offers), SET_OWNER, and GET_QUEUE_NUM when MQ was agreed. */
int vhu_handshake(struct vhu *u, uint64_t want_protocol);

/* SET_FEATURES: the virtio features the driver accepted; PROTOCOL_FEATURES is
 * added when the back-end offered it (so rings wait for SET_VRING_ENABLE). */
int vhu_set_features(struct vhu *u, uint64_t virtio_features);

/* Builds the memory table for guest RAM (which must be memfd-backed). */
int vhu_mem_table(const struct guest_mem *m, struct vhu_mem_table *t);
/* SET_MEM_TABLE with m's memfd attached once per region. */
int vhu_set_mem_table(struct vhu *u, const struct guest_mem *m);

struct vhu_vring {
	unsigned index;
	uint16_t num;
	uint16_t base;                 /* next avail index the back-end consumes */
	uint64_t desc, avail, used;    /* front-end virtual addresses */
	int kick_fd;                   /* the guest's doorbell: the back-end waits on it */
	int call_fd;                   /* the back-end writes it when it used buffers */
};

/* NUM, BASE, ADDR, CALL, KICK, then ENABLE (with protocol features). */
int vhu_start_vring(struct vhu *u, const struct vhu_vring *r);
/* Disables (with protocol features) and stops the ring: GET_VRING_BASE. *base
 * gets the back-end's next avail index (NULL to ignore). */
int vhu_stop_vring(struct vhu *u, unsigned index, uint16_t *base);

/* Low level, exposed for tests: one message, and one validated reply. */
int vhu_send(struct vhu *u, uint32_t req, uint32_t flags, const void *payload, uint32_t len,
	     const int *fds, unsigned nfds);
int vhu_recv_reply(struct vhu *u, uint32_t req, void *payload, uint32_t len);

const char *vhu_req_name(uint32_t req);

#endif
