/* start, kill, delete, pause, resume, update, wait: the state checks and
 * transitions around the VM operations, with runc's phrases for refusals. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "runtime/bundle.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/logging.h"
#include "runtime/ops.h"
#include "runtime/vm.h"

static int not_running(struct rt_err *err)
{
	return rt_err_set(err, ESRCH, "container not running");
}

/* The config of a container, for its hooks: the copy create kept in the state
 * directory (the bundle may be gone by delete time), else the bundle's. */
static struct oci_config *lifecycle_config(const struct rt_container *c)
{
	struct oci_config *cfg = NULL;
	char path[PATH_MAX + 16];
	struct rt_err err;

	snprintf(path, sizeof(path), "%s/" RT_CONFIG_COPY, c->dir);
	if (oci_config_load(path, &cfg, &err) == 0)
		return cfg;
	if (err.errnum == ENOENT && c->st.bundle && rt_bundle_load(c->st.bundle, &cfg, &err) == 0)
		return cfg;
	if (err.errnum == ENOENT)
		rt_log_debug("container %s: no config.json: no hooks to run", c->id);
	else
		rt_log_warn("container %s: cannot read its config for hooks: %s", c->id, err.msg);
	return NULL;
}

int rt_start(const struct rt_globals *g, const char *id, struct rt_err *err)
{
	struct oci_config *cfg = NULL;
	struct rt_container c;
	int r;

	r = rt_container_open(g->root, id, RT_LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	switch (c.st.status) {
	case OCI_STATUS_CREATED:
		break;
	case OCI_STATUS_STOPPED:
		r = rt_err_set(err, EINVAL, "cannot start a container that has stopped");
		goto out;
	case OCI_STATUS_RUNNING:
		r = rt_err_set(err, EINVAL, "cannot start an already running container");
		goto out;
	default:
		r = rt_err_set(err, EINVAL, "cannot start a container in the %s state",
			       oci_status_name(c.st.status));
		goto out;
	}
	cfg = lifecycle_config(&c);
	r = rt_vm_start(g, &c, cfg, err);
	if (r < 0)
		goto out;
	c.st.status = OCI_STATUS_RUNNING;
	r = rt_container_save(&c, err);
	if (r == 0 && cfg)
		rt_hooks_run(cfg, OCI_HOOK_POSTSTART, &c.st, true, NULL);
out:
	oci_config_free(cfg);
	rt_container_close(&c);
	return r;
}

int rt_kill(const struct rt_globals *g, const char *id, int sig, bool all, struct rt_err *err)
{
	struct rt_container c;
	int r;

	r = rt_container_open(g->root, id, RT_LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	if (c.st.status == OCI_STATUS_STOPPED)
		r = not_running(err);
	else
		r = rt_vm_kill(g, &c, sig, all, err);
	rt_container_close(&c);
	return r;
}

/* Destroys the VM if needed, runs poststop, removes the directory. */
static int delete_locked(const struct rt_globals *g, struct rt_container *c, struct rt_err *err)
{
	struct oci_config *cfg;
	int r;

	/* Also for a stopped one: what the VM held on the host (its share, its
	 * cgroup) outlives the VMM. */
	r = rt_vm_destroy(g, c, err);
	if (r < 0)
		return r;
	c->st.status = OCI_STATUS_STOPPED;
	c->st.pid = 0;
	cfg = lifecycle_config(c);
	if (cfg)
		rt_hooks_run(cfg, OCI_HOOK_POSTSTOP, &c->st, true, NULL);
	oci_config_free(cfg);
	return rt_container_remove(c, err);
}

int rt_delete(const struct rt_globals *g, const char *id, bool force, struct rt_err *err)
{
	struct rt_container c;
	int r;

	r = rt_container_open(g->root, id, RT_LOCK_EXCLUSIVE, &c, err);
	if (r == -ENOENT && force && rt_id_validate(id, NULL) == 0) {
		rt_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
	/* A created container is killed and deleted (runc does the same); a running
	 * or paused one only with --force. */
	if (!force && (c.st.status == OCI_STATUS_RUNNING || c.st.status == OCI_STATUS_PAUSED))
		r = rt_err_set(err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
			       oci_status_name(c.st.status));
	else
		r = delete_locked(g, &c, err);
	rt_container_close(&c);
	return r;
}

static int pause_resume(const struct rt_globals *g, const char *id, bool pause, struct rt_err *err)
{
	enum oci_status want = pause ? OCI_STATUS_RUNNING : OCI_STATUS_PAUSED;
	struct rt_container c;
	int r;

	r = rt_container_open(g->root, id, RT_LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	if (c.st.status != want) {
		r = c.st.status == OCI_STATUS_STOPPED || pause
			? not_running(err)
			: rt_err_set(err, EINVAL, "container not paused");
		goto out;
	}
	r = pause ? rt_vm_pause(g, &c, err) : rt_vm_resume(g, &c, err);
	if (r == 0) {
		c.st.status = pause ? OCI_STATUS_PAUSED : OCI_STATUS_RUNNING;
		r = rt_container_save(&c, err);
	}
out:
	rt_container_close(&c);
	return r;
}

int rt_pause(const struct rt_globals *g, const char *id, struct rt_err *err)
{
	return pause_resume(g, id, true, err);
}

int rt_resume(const struct rt_globals *g, const char *id, struct rt_err *err)
{
	return pause_resume(g, id, false, err);
}

int rt_resources_check(const struct oci_resources *res, struct rt_err *err)
{
	if (res->unsupported.n)
		return rt_err_set(err, EINVAL, "%s is not supported by runvm",
				  res->unsupported.v[0]);
	if (res->has_cpu_period && res->cpu_period && res->cpu_period < 1000)
		return rt_err_set(err, EINVAL, "resources.cpu.period: below 1000 microseconds");
	if (res->has_memory_limit && res->memory_limit > 0 && res->memory_limit < (4 << 20))
		return rt_err_set(err, EINVAL,
				  "resources.memory.limit: below 4 MiB, too small for a VM");
	return 0;
}

int rt_update(const struct rt_globals *g, const char *id, const struct oci_resources *res,
	      struct rt_err *err)
{
	struct rt_container c;
	int r;

	r = rt_resources_check(res, err);
	if (r < 0)
		return r;
	r = rt_container_open(g->root, id, RT_LOCK_EXCLUSIVE, &c, err);
	if (r < 0)
		return r;
	if (c.st.status == OCI_STATUS_STOPPED)
		r = not_running(err);
	else
		r = rt_vm_update(g, &c, res, err);
	rt_container_close(&c);
	return r;
}

int rt_wait(const struct rt_globals *g, const char *id, int *status, struct rt_err *err)
{
	struct rt_container c;
	int r;

	r = rt_container_open(g->root, id, RT_LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	/* Waiting must not hold the lock: kill and delete come from others meanwhile. */
	rt_container_unlock(&c);
	r = rt_vm_wait(g, &c, status, err);
	rt_container_close(&c);
	return r;
}
