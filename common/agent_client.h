/* The host side of the agent protocol, blocking and small: listen where the guest
 * connects ("<prefix>_<port>", as runvm-vmm's hybrid vsock names it), take the
 * control connection, send requests and wait for their results, and collect the
 * events (process exits, OOM, fatal guest errors) in arrival order.
 *
 *   int lfd, fd;  struct agent_conn c;  struct proto_result res;
 *   agent_listen(uds, PROTO_CONTROL_PORT, &lfd);      // before the guest boots
 *   agent_accept(lfd, 30000, &fd);
 *   agent_open(&c, fd, 30000, &res);                 // HELLO (or the guest's FATAL)
 *   agent_create(&c, &spec, &res);  res.err / res.msg say how it went
 *   agent_start(&c, &res);
 *   agent_next_event(&c, -1, &ev);                   // ... until the init's EXIT
 *   agent_close(&c);                                 // lets the guest power off
 *
 * Functions return 0 or -errno for transport and protocol failures; a request the
 * guest refused still returns 0, with the guest's error in res->err. */
#ifndef RUNVM_COMMON_AGENT_CLIENT_H
#define RUNVM_COMMON_AGENT_CLIENT_H

#include <stdint.h>

#include "common/proto.h"

struct agent_event {
	uint16_t type; /* PROTO_EXIT, PROTO_OOM or PROTO_FATAL */
	union {
		struct proto_exit exit;
		struct proto_oom oom;
		struct proto_result fatal;
	};
};

struct agent_conn {
	int fd;
	uint32_t next_id;
	int timeout_ms; /* for each result; -1 waits for ever */
	int msg_timeout_ms; /* for the rest of a message once it has begun */
	struct proto_hello hello;
	struct agent_event *queue; /* events that arrived while waiting for a result */
	uint32_t nqueue, qhead, qcap;
};

/* A message that has begun must be whole by then (-ETIMEDOUT): the guest's
 * messages are small and written at once, so a stall means a broken guest. */
#define AGENT_MSG_TIMEOUT_MS 30000

/* A listening socket at "<prefix>_<port>" (CLOEXEC); a stale socket file there is
 * replaced, any other file is left alone (-EEXIST). */
int agent_listen(const char *prefix, uint32_t port, int *lfd);
/* -ETIMEDOUT after timeout_ms (-1: no limit). */
int agent_accept(int lfd, int timeout_ms, int *fd);

/* Takes fd and waits for the guest's HELLO. When the guest reports FATAL instead,
 * returns -EIO with the guest's error in *fatal (may be NULL). */
int agent_open(struct agent_conn *c, int fd, int timeout_ms, struct proto_result *fatal);
void agent_close(struct agent_conn *c);

int agent_create(struct agent_conn *c, const struct proto_spec *spec, struct proto_result *res);
int agent_start(struct agent_conn *c, struct proto_result *res);
int agent_exec(struct agent_conn *c, const struct proto_exec *e, struct proto_result *res);
int agent_signal(struct agent_conn *c, uint32_t proc_id, int signo, uint32_t flags,
		 struct proto_result *res);
int agent_resize(struct agent_conn *c, uint32_t proc_id, uint16_t rows, uint16_t cols,
		 struct proto_result *res);
/* Writes cgroup files of the container's guest cgroup (PROTO_UPDATE). */
int agent_update(struct agent_conn *c, const struct proto_kv *kv, uint32_t n,
		 struct proto_result *res);
/* Up to max guest pids in pids, *n of them. */
int agent_ps(struct agent_conn *c, uint32_t *pids, uint32_t max, uint32_t *n);

/* The next event: 0, -ETIMEDOUT, -ESHUTDOWN when the guest closed the connection. */
int agent_next_event(struct agent_conn *c, int timeout_ms, struct agent_event *ev);

/* Decodes an event payload of the given type (for hosts with their own loop). */
int agent_decode_event(uint16_t type, const uint8_t *p, uint32_t len, struct agent_event *ev);

#endif
