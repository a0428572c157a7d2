/* The VMM's side of the control socket (common/ctl.h): a Unix listening socket
 * with any number of clients, whose requests are forwarded to the guest agent
 * under ids of the VMM's own and whose answers and exec events are routed back.
 *
 * ctl_route.c holds the bookkeeping as pure functions (unit-tested): which guest
 * id answers which client request, which client owns which exec'd process, and
 * the validation of a client's request. ctl.c is the socket server on the loop.
 *
 * Clients are named by a serial number that is never reused, so a client that
 * disconnects with requests in flight simply drops their answers: the entry
 * stays until the guest answers, and finds no client to deliver to. */
#ifndef RUNVM_VMM_CTL_H
#define RUNVM_VMM_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/ctl.h"
#include "common/proto.h"
#include "vmm/ev.h"
#include "vmm/pconn.h"

#define CTL_OWNER_VMM 0u             /* requests the VMM makes itself */
#define CTL_MAX_PENDING 4096         /* requests in flight to the guest */
#define CTL_MAX_PENDING_OWNER 256    /* ... from one client */
#define CTL_MAX_EXECS 1024           /* exec'd processes tracked at once */
#define CTL_MAX_CLIENTS 128
#define CTL_CLIENT_TX_MAX (1u << 20) /* unsent answers before a client is dropped */

/* ---- routing (ctl_route.c) ------------------------------------------------------- */

struct ctl_pending {
	uint32_t guest_id;  /* the id the guest sees */
	uint32_t owner;     /* client serial, or CTL_OWNER_VMM */
	uint32_t client_id; /* the id the client chose */
	uint16_t type;      /* the request's type */
	uint32_t proc_id;   /* EXEC: the process it starts */
};

struct ctl_proc {
	uint32_t proc_id, owner;
	bool live; /* the EXEC was answered ok; before that the id is reserved */
};

struct ctl_route {
	uint32_t next_id;
	uint32_t n_pending, n_procs;
	struct ctl_pending pending[CTL_MAX_PENDING];
	struct ctl_proc procs[CTL_MAX_EXECS];
};

void ctl_route_init(struct ctl_route *r);
/* Records a request on its way to the guest: 0 and *guest_id (non-zero, unused),
 * or -EAGAIN when too many are in flight (overall, or for this owner). */
int ctl_route_add(struct ctl_route *r, uint32_t owner, uint32_t client_id, uint16_t type,
		  uint32_t proc_id, uint32_t *guest_id);
/* Removes and returns the request guest_id answers; -ENOENT if there is none. */
int ctl_route_take(struct ctl_route *r, uint32_t guest_id, struct ctl_pending *p);
uint32_t ctl_route_pending_of(const struct ctl_route *r, uint32_t owner);

/* Exec'd processes: reserve at request time (-EINVAL below CTL_EXEC_PROC_MIN,
 * -EEXIST when taken, -EAGAIN when full), mark live on a good RESULT, release on
 * a bad one or at its EXIT. */
int ctl_route_proc_reserve(struct ctl_route *r, uint32_t proc_id, uint32_t owner);
void ctl_route_proc_live(struct ctl_route *r, uint32_t proc_id);
void ctl_route_proc_release(struct ctl_route *r, uint32_t proc_id);
/* The owner of proc_id; -ENOENT if untracked. */
int ctl_route_proc_owner(const struct ctl_route *r, uint32_t proc_id, uint32_t *owner);
uint32_t ctl_route_procs_of(const struct ctl_route *r, uint32_t owner);

/* A client request, checked and decoded. */
struct ctl_req {
	uint16_t type;
	uint32_t id;
	struct proto_signal sig;  /* PROTO_SIGNAL */
	struct proto_resize rsz;  /* PROTO_RESIZE */
	struct proto_exec exec;   /* PROTO_EXEC: free with proto_exec_free */
	struct proto_update upd;  /* PROTO_UPDATE: free with proto_update_free */
};

/* 0: a request to act on. -EPROTO: not a request at all (id 0): drop the client.
 * Else -errno with err->msg saying why (answer it, then drop the client). */
int ctl_req_parse(const struct proto_hdr *h, const uint8_t *p, struct ctl_req *req,
		  struct proto_result *err);

/* ---- the server (ctl.c) ---------------------------------------------------------- */

struct ctl_ops {
	/* The guest's control connection, or NULL when requests cannot go to the
	 * guest (the container's init has exited). */
	struct pconn *(*agent)(void *arg);
	/* START may go to the guest now (accepted once): 0, or -errno and err. */
	int (*start)(void *arg, struct proto_result *err);
	/* CTL_PAUSE / CTL_RESUME: 0 or -errno and err. */
	int (*pause)(void *arg, bool pause, struct proto_result *err);
	/* CTL_STATUS: "created", "running" or "paused". */
	const char *(*status)(void *arg);
};

struct ctl_client;

struct ctl {
	struct ev_loop *loop;
	int lfd;
	char *path;        /* unlinked by ctl_fini */
	bool serving;
	const struct ctl_ops *ops;
	void *arg;
	struct ctl_route route;
	struct ctl_client *clients;
	uint32_t n_clients, next_serial;
};

/* Binds and listens on path (mode 0600; a stale socket there is replaced, any
 * other file is -EEXIST); clients wait in the backlog until ctl_serve. With a
 * NULL path there is no socket, only the routing (for the VMM's own requests). */
int ctl_listen(struct ctl *c, struct ev_loop *loop, const char *path, const struct ctl_ops *ops,
	       void *arg);
int ctl_serve(struct ctl *c);
/* Drops every client, closes and unlinks the socket. A zeroed ctl is fine. */
void ctl_fini(struct ctl *c);

/* A RESULT or PS_RESULT from the guest. Answers to clients are routed (or
 * dropped); returns 1 with *vmm_req when it answers one of the VMM's own
 * requests, 0 when done with, -ENOENT for an id nobody asked (a guest bug). */
int ctl_guest_answer(struct ctl *c, const struct proto_hdr *h, const uint8_t *payload,
		     struct ctl_pending *vmm_req);
/* The EXIT of an exec'd process: to its client, which is then closed. */
void ctl_guest_exit(struct ctl *c, const struct proto_exit *e);

#endif
