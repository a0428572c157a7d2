/* The control socket between the runtime (runvm, short-lived CLI processes, exec
 * proxies) and a container's VMM (runvm-vmm --container, one long-lived process).
 *
 * It speaks the agent protocol's framing and messages (common/proto.h): the VMM
 * is a proxy in front of the guest agent. A client connects to the container's
 * ctl.sock and sends requests with ids of its own; the VMM forwards PROTO_START,
 * PROTO_EXEC, PROTO_SIGNAL, PROTO_RESIZE, PROTO_PS and PROTO_UPDATE to the guest
 * under ids of its own and sends the guest's RESULT / PS_RESULT back under the client's id.
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
 * exit code, or killed by the same signal.
 *
 * Rules the VMM keeps (vmm/ctl.c):
 * - It accepts clients once the container is created (before that they wait in
 *   the backlog); only the socket's owner uid or root may talk to it.
 * - A request with id 0, or broken framing: the client is closed. A request of
 *   an unknown type or with a malformed payload: a RESULT with -EOPNOTSUPP or
 *   -EBADMSG/-EINVAL, then the client is closed. Other clients are not affected.
 * - START is accepted once: later ones get -EBUSY ("cannot start an already
 *   running container") without reaching the guest.
 * - EXEC: proc_id >= CTL_EXEC_PROC_MIN, stdio and extra fd ports 0 or
 *   >= CTL_EXEC_PORT_MIN, else -EINVAL; a proc_id in use gets -EEXIST. The guest's message comes back
 *   verbatim (e.g. `exec: "x": executable file not found in $PATH`).
 * - SIGNAL: signo 1..64 (proc_id 0 is the init; PROTO_SIGNAL_ALL as in proto.h).
 * - UPDATE: files of the container's own guest cgroup only (no '/', no leading
 *   '.', no cgroup.* file), else -EINVAL; the guest's RESULT comes back verbatim.
 * - CTL_PAUSE / CTL_RESUME are idempotent; -EOPNOTSUPP without a VM (--no-vm).
 * - After the init's EXIT, requests for the guest get -ESRCH "container not
 *   running"; the VMM is on its way out.
 * - Too many requests in flight (256 per client, vmm/ctl.h) or a guest
 *   that stopped reading: -EAGAIN. A client that does not read its answers is
 *   dropped. A client that leaves has its pending answers dropped; its exec'd
 *   processes go on. */
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

/* Guest->host vsock ports ("<vsock-uds>_<port>"): PROTO_CONTROL_PORT (1024) is
 * the agent's, CTL_INIT_PORT .. +2 the container init's stdin, stdout, stderr
 * (with a terminal only CTL_INIT_PORT), CTL_EXTRA_PORT .. +15 its extra fds,
 * all the VMM's. Exec proxies choose theirs at or above CTL_EXEC_PORT_MIN. */
#define CTL_INIT_PORT 1025
#define CTL_EXEC_PORT_MIN 2048
/* The init's extra fds (--preserve-fds): CTL_EXTRA_PORT + i for fd 3 + i, the VMM's. */
#define CTL_EXTRA_PORT 1040

#endif
