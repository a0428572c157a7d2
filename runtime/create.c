/* create: everything is checked before the state directory exists; from then on
 * every failure unwinds (VM, hooks' effects are the hooks' business, directory) so
 * that a failed create leaves nothing behind. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/spec.h"
#include "runtime/bundle.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/logging.h"
#include "runtime/ops.h"
#include "runtime/vm.h"

static int create_state(const struct rt_globals *g, struct rt_container *c,
			const struct oci_config *cfg, const char *bundle, const char *rootfs,
			struct rt_err *err)
{
	struct oci_state *s = &c->st;
	struct passwd *pw = getpwuid(geteuid());
	char uidbuf[32];

	snprintf(uidbuf, sizeof(uidbuf), "#%u", (unsigned)geteuid());
	s->status = OCI_STATUS_CREATING;
	s->oci_version = strdup(OCI_SPEC_VERSION);
	s->id = strdup(c->id);
	s->bundle = strdup(bundle);
	s->rootfs = strdup(rootfs);
	s->owner = strdup(pw ? pw->pw_name : uidbuf);
	s->rv.cgroup_manager = strdup(rt_cgroup_manager_name(g->cgroup_manager));
	s->rv.rootless = g->rootless == 1 || (g->rootless == -1 && geteuid() != 0);
	if (cfg->lnx.cgroups_path)
		s->rv.cgroups_path = strdup(cfg->lnx.cgroups_path);
	clock_gettime(CLOCK_REALTIME, &s->created);
	for (size_t i = 0; i < cfg->annotations.n; i++)
		if (oci_kvv_push(&s->annotations, cfg->annotations.v[i].key,
				 cfg->annotations.v[i].value) < 0)
			return rt_err_set(err, ENOMEM, "out of memory");
	if (!s->oci_version || !s->id || !s->bundle || !s->rootfs || !s->owner ||
	    !s->rv.cgroup_manager || (cfg->lnx.cgroups_path && !s->rv.cgroups_path))
		return rt_err_set(err, ENOMEM, "out of memory");
	return 0;
}

static int create_pid_file(const char *path, int pid, struct rt_err *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);

	/* Decimal digits, no newline, through a temporary file and a rename. */
	if (oci_file_write_atomic(AT_FDCWD, path, buf, (size_t)n, 0644, err) < 0)
		return rt_err_prefix(err, "pid file");
	return 0;
}

/* Keeps the config the container was created with: later commands (hooks at
 * start and delete, exec's defaults) must not depend on the bundle staying put. */
static int create_keep_config(struct rt_container *c, const char *bundle, struct rt_err *err)
{
	autofree char *buf = NULL;
	char path[PATH_MAX + 16];
	size_t len;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (oci_file_read(path, OCI_CONFIG_MAX, &buf, &len, err) < 0)
		return -EIO;
	return oci_file_write_atomic(c->dirfd, RT_CONFIG_COPY, buf, len, 0600, err);
}

/* From the state directory on: launch, hooks, pid file. */
static int create_in_dir(const struct rt_globals *g, struct rt_container *c,
			 const struct oci_config *cfg, const char *rootfs,
			 const struct rt_create_opts *o, struct rt_err *err)
{
	int r;

	r = rt_vm_launch(g, c, cfg, rootfs, o, err);
	if (r < 0)
		return r;
	c->st.status = OCI_STATUS_CREATED;
	r = rt_container_save(c, err);
	if (r < 0)
		return r;
	/* createContainer cannot run in the container's namespaces (they are in the
	 * guest): like prestart and createRuntime it runs on the host. */
	if (rt_hooks_run(cfg, OCI_HOOK_PRESTART, &c->st, false, err) < 0 ||
	    rt_hooks_run(cfg, OCI_HOOK_CREATE_RUNTIME, &c->st, false, err) < 0 ||
	    rt_hooks_run(cfg, OCI_HOOK_CREATE_CONTAINER, &c->st, false, err) < 0)
		return -EINVAL;
	if (o->pid_file)
		return create_pid_file(o->pid_file, c->st.pid, err);
	return 0;
}

/* The VMM has its own copies (or failed): ours would keep a pipe's reader from
 * seeing EOF for as long as a foreground run lasts. */
static void create_close_preserved(const struct rt_create_opts *o)
{
	for (int i = 0; i < o->preserve_fds; i++)
		close(3 + i);
}

static int create_checked(const struct rt_globals *g, const struct rt_create_opts *o,
			  struct rt_err *err)
{
	char bundle[PATH_MAX], rootfs[PATH_MAX];
	struct oci_config *cfg = NULL;
	struct rt_container c;
	struct rt_err cleanup_err;
	int r;

	if (rt_id_validate(o->id, err) < 0 ||
	    rt_bundle_resolve(o->bundle, bundle, sizeof(bundle), err) < 0)
		return -EINVAL;
	r = rt_bundle_load(bundle, &cfg, err);
	if (r == 0)
		r = rt_config_validate(g, cfg, o, err);
	if (r == 0)
		r = rt_bundle_rootfs(bundle, cfg, rootfs, sizeof(rootfs), err);
	if (r == 0)
		r = rt_container_new(g->root, o->id, &c, err);
	if (r < 0) {
		oci_config_free(cfg);
		return r;
	}
	r = create_state(g, &c, cfg, bundle, rootfs, err);
	if (r == 0)
		r = create_keep_config(&c, bundle, err);
	if (r == 0)
		r = rt_container_save(&c, err);
	if (r == 0)
		r = create_in_dir(g, &c, cfg, rootfs, o, err);
	if (r < 0) {
		if (rt_vm_destroy(g, &c, &cleanup_err) < 0)
			rt_log_warn("cleanup: %s", cleanup_err.msg);
		if (rt_container_remove(&c, &cleanup_err) < 0)
			rt_log_warn("cleanup: %s", cleanup_err.msg);
	}
	rt_container_close(&c);
	oci_config_free(cfg);
	return r;
}

int rt_create(const struct rt_globals *g, const struct rt_create_opts *opts, struct rt_err *err)
{
	struct rt_create_opts o = *opts;
	int r;

	r = rt_preserve_fds_classify(3, o.preserve_fds, o.extra, err);
	if (r < 0)
		return r;
	/* Hooks and other children of ours must not inherit them. */
	for (int i = 0; i < o.preserve_fds; i++)
		fcntl(3 + i, F_SETFD, FD_CLOEXEC);
	r = create_checked(g, &o, err);
	create_close_preserved(&o);
	return r;
}
