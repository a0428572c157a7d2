/* The exec proxy: the host process that stands for one exec'd process. It listens
 * for the guest's stdio connections on "<STATE/vsock.sock>_<port>", asks the VMM
 * (ctl.sock) for PROTO_EXEC under a random proc_id, relays its stdio (fds 0/1/2,
 * or one terminal) to those streams, forwards the signals it gets and window size
 * changes, and ends exactly like the process once its PROTO_EXIT arrives: same
 * exit code, or killed by the same signal. */
#ifndef RUNVM_RUNTIME_EXEC_PROXY_H
#define RUNVM_RUNTIME_EXEC_PROXY_H

#include <stdbool.h>

#include "common/agent_client.h"
#include "common/err.h"
#include "common/proto.h"

#define RT_EXEC_REG_PREFIX "exec-" /* STATE/exec-<pid>: a live proxy, for ps */

struct rt_xproxy {
	const char *dir;   /* the container's state directory */
	const char *cgdir; /* its host cgroup, "" for none */
	struct proto_exec e; /* the process; proc_id and stdio ports are set here */
	/* Terminal: tty_in/tty_out carry the one stream (a pty slave, or the caller's
	 * own terminal); -1 without a terminal, when fds 0/1/2 are relayed. */
	int tty_in, tty_out;
	/* private */
	struct agent_conn conn;
	int lfd[3], sfd[3];
	bool have_exit;
	struct proto_exit exit;
};

void rt_xproxy_init(struct rt_xproxy *x, const char *dir, const char *cgdir);

/* Everything up to a running process: cgroup, listeners, EXEC, the accepted
 * streams. A refusal (e.g. `exec: "x": executable file not found in $PATH`)
 * is an error with the guest's message. */
int rt_xproxy_start(struct rt_xproxy *x, struct rt_err *err);

/* Relays until the process has exited and its output is drained; *ex is how it
 * ended (a lost VMM counts as SIGKILL). */
void rt_xproxy_relay(struct rt_xproxy *x, struct proto_exit *ex);

void rt_xproxy_fini(struct rt_xproxy *x);

/* Ends the calling process the way ex says (signal, else exit code). */
__attribute__((noreturn)) void rt_exit_like(const struct proto_exit *ex);

#endif
