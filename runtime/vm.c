/* The VM plug points (see vm.h). What needs the guest says plainly that it is not
 * wired yet; what the host can do alone (signal the VMM, which forwards signals
 * into the guest; kill it; list its PID) works now. */
#include "runtime/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static int vm_not_wired(struct rt_err *err, const char *what)
{
	return rt_err_set(err, ENOSYS, "%s is not wired yet", what);
}

int rt_vm_launch(const struct rt_globals *g, struct rt_container *c, const struct oci_config *cfg,
		 const char *rootfs, const struct rt_create_opts *o, struct rt_err *err)
{
	return vm_not_wired(err, "VM launch");
}

int rt_vm_start(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	return vm_not_wired(err, "starting the container process in the VM");
}

int rt_vm_kill(const struct rt_globals *g, struct rt_container *c, int sig, bool all,
	       struct rt_err *err)
{
	if (all)
		return vm_not_wired(err, "signalling every process of the container (--all)");
	/* The VMM forwards the signals it receives to the container process. */
	if (kill(c->st.pid, sig) < 0)
		return errno == ESRCH ? rt_err_set(err, ESRCH, "container not running")
				      : rt_err_sys(err, errno, "kill %d", c->st.pid);
	return 0;
}

int rt_vm_exec(const struct rt_globals *g, struct rt_container *c, const struct oci_process *p,
	       const struct rt_exec_opts *o, int *status, struct rt_err *err)
{
	return vm_not_wired(err, "exec in the VM");
}

int rt_vm_pause(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	return vm_not_wired(err, "pausing the VM");
}

int rt_vm_resume(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	return vm_not_wired(err, "resuming the VM");
}

int rt_vm_update(const struct rt_globals *g, struct rt_container *c,
		 const struct oci_resources *res, struct rt_err *err)
{
	return vm_not_wired(err, "updating the VM's resources");
}

int rt_vm_wait(const struct rt_globals *g, struct rt_container *c, int *status, struct rt_err *err)
{
	return vm_not_wired(err, "waiting for the container process");
}

int rt_vm_pids(const struct rt_globals *g, struct rt_container *c, pid_t **pids, size_t *n,
	       struct rt_err *err)
{
	*n = 0;
	*pids = calloc(1, sizeof(**pids));
	if (!*pids)
		return rt_err_set(err, ENOMEM, "out of memory");
	if (c->st.pid > 0 && c->st.status != OCI_STATUS_STOPPED)
		(*pids)[(*n)++] = c->st.pid;
	return 0;
}

int rt_vm_destroy(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t pid = c->st.pid;

	if (!rt_pid_alive(pid, c->st.rv.vmm_start_time))
		return 0;
	if (kill(pid, SIGKILL) < 0 && errno != ESRCH)
		return rt_err_sys(err, errno, "kill VMM %d", (int)pid);
	/* Not our child (the shim reaps it): wait until it is gone or a zombie. */
	for (int i = 0; i < 1000 && rt_pid_alive(pid, c->st.rv.vmm_start_time); i++)
		nanosleep(&ts, NULL);
	if (rt_pid_alive(pid, c->st.rv.vmm_start_time))
		return rt_err_set(err, ETIMEDOUT, "VMM %d did not exit after SIGKILL", (int)pid);
	return 0;
}
