/* The control socket between the runtime (runvm, short-lived CLI processes, exec
 * proxies) and a container's VMM (runvm-vmm --container, one long-lived process).
 *
 * It speaks the agent protocol's framing and messages (common/proto.h): the VMM
 * is a proxy in front of the guest agent. A client connects to the container's
 * ctl.sock and sends requests with ids of its own; the VMM forwards PROTO_START,
 * PROTO_EXEC, PROTO_SIGNAL, PROTO_RESIZE and PROTO_PS to the guest under ids of
 * its own and sends the guest's RESULT / PS_RESULT back under the client's id.
 * The VMM answers the CTL_* requests below itself.
 *
 * Events: a client that sent PROTO_EXEC keeps its connection open; the VMM sends
 * it the PROTO_EXIT event of that process (proc_id as in the request) and then
 * closes it. That is how an exec proxy learns how to exit. Stdio ports named in
 * an EXEC are connected by the guest to "<vsock-uds>_<port>": the exec proxy
 * listens there itself before it sends the request, so its stdio never passes
 * through the VMM's event loop.
 *
 * The container's own process (proc_id 0): its spec is given to the VMM at start
 * (--spec FILE: one encoded PROTO_CREATE message, written by the runtime from
 * config.json), the VMM relays its stdio to the VMM's own fds 0/1/2 (or to the
 * host pty given with --console-fd), and the VMM exits exactly as it did: same
 * exit code, or killed by the same signal. */
#ifndef RUNVM_COMMON_CTL_H
#define RUNVM_COMMON_CTL_H

#include "common/proto.h"

#define CTL_SOCKET_NAME "ctl.sock"   /* in the container's state dir */
#define CTL_VSOCK_NAME "vsock.sock"  /* the VMM's --vsock-uds in the state dir */

enum ctl_type {
	CTL_PAUSE = 64,   /* (empty) freeze every vCPU; RESULT */
	CTL_RESUME = 65,  /* (empty) thaw them; RESULT */
	CTL_STATUS = 66,  /* (empty) RESULT with msg "created" | "running" | "paused" */
};

/* First proc_id the VMM accepts in EXEC requests from clients (lower ones are
 * reserved). Clients choose ids at random above it; a clash gets -EEXIST. */
#define CTL_EXEC_PROC_MIN 1000

#endif
