/* Where the VM plugs into the CLI. Everything above this line (options, state
 * directories, locks, state checks, hooks, cleanup) is done by the callers in
 * runtime/create.c, lifecycle.c and exec.c; these functions only talk to the VMM
 * (runvm-vmm) and, through its control socket, to the guest. Each returns 0 or
 * -errno with err set. Until the VMM, virtio-fs and guest-init are wired they fail
 * honestly, except where the host alone can do the job (signals to the VMM,
 * destroying it, listing its PID). */
#ifndef RUNVM_RUNTIME_VM_H
#define RUNVM_RUNTIME_VM_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/config.h"
#include "runtime/container.h"
#include "runtime/ops.h"

/* Boots the VM for a new container and leaves it "created": the guest has set the
 * process up and waits for start; the pty master went to o->console_socket when
 * process.terminal. On success it sets c->st.pid (the VMM), c->st.rv.vmm_start_time
 * (rt_pid_start_time) and c->st.rv.* paths; the caller saves the state and writes
 * the pid file. On failure it leaves no helper running. cfg is validated;
 * rootfs is the absolute root path. */
int rt_vm_launch(const struct rt_globals *g, struct rt_container *c, const struct oci_config *cfg,
		 const char *rootfs, const struct rt_create_opts *o, struct rt_err *err);

/* Starts the container process in a created VM. cfg (may be NULL) is the
 * container's config: its startContainer hooks run in the guest before the
 * answer, so the wait grows by their timeouts (no limit if one has none). */
int rt_vm_start(const struct rt_globals *g, struct rt_container *c, const struct oci_config *cfg,
		struct rt_err *err);

/* Delivers sig to the container process (all: to every process of the container). */
int rt_vm_kill(const struct rt_globals *g, struct rt_container *c, int sig, bool all,
	       struct rt_err *err);

/* Runs p in the container through an exec proxy; *status is its exit status in
 * the foreground form (128+N when killed by signal N). */
int rt_vm_exec(const struct rt_globals *g, struct rt_container *c, const struct oci_process *p,
	       const struct rt_exec_opts *o, int *status, struct rt_err *err);

int rt_vm_pause(const struct rt_globals *g, struct rt_container *c, struct rt_err *err);
int rt_vm_resume(const struct rt_globals *g, struct rt_container *c, struct rt_err *err);
int rt_vm_update(const struct rt_globals *g, struct rt_container *c,
		 const struct oci_resources *res, struct rt_err *err);

/* Waits until the container process ends; *status as for exec. */
int rt_vm_wait(const struct rt_globals *g, struct rt_container *c, int *status, struct rt_err *err);

/* Host PIDs of the container: the VMM and the exec proxies. *pids is malloc'ed. */
int rt_vm_pids(const struct rt_globals *g, struct rt_container *c, pid_t **pids, size_t *n,
	       struct rt_err *err);

/* Stops the VMM and every helper (virtiofsd, exec proxies) and releases what the
 * VM held on the host (cgroup, sockets). Safe on a half-launched or dead VM. */
int rt_vm_destroy(const struct rt_globals *g, struct rt_container *c, struct rt_err *err);

#endif
