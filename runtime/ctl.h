/* The runtime's side of a container's control socket (common/ctl.h): connect to
 * STATE/ctl.sock and make requests of the VMM, or through it of the guest agent.
 * Also Unix socket paths that may be longer than sun_path allows (a long --root
 * and a 64-character ID): they are reached through /proc/self/fd/N/NAME. */
#ifndef RUNVM_RUNTIME_CTL_H
#define RUNVM_RUNTIME_CTL_H

#include <stdint.h>
#include <sys/un.h>

#include "common/agent_client.h"
#include "common/ctl.h"
#include "common/err.h"

#define RT_CTL_TIMEOUT_MS 60000 /* for one answer (a loaded test host is slow) */

/* An address for dir/name: the path itself when it fits, else through an
 * O_PATH fd on dir, returned in *dirfd (close it after bind/connect; -1 when
 * not needed). */
int rt_unix_addr(const char *dir, const char *name, struct sockaddr_un *sa, int *dirfd);

/* Connects to dir/CTL_SOCKET_NAME; conn is ready for agent_* calls. */
int rt_ctl_open(const char *dir, struct agent_conn *conn, struct rt_err *err);

/* A request without payload (PROTO_START, CTL_PAUSE, ...) and its RESULT. A
 * refusal is an error with the VMM's or the guest's message. */
int rt_ctl_call(struct agent_conn *conn, uint16_t type, struct proto_result *res,
		struct rt_err *err);

/* Connect, one request, close. */
int rt_ctl_request(const char *dir, uint16_t type, struct rt_err *err);

#endif
