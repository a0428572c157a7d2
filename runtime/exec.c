/* exec: the process to run (from --process, or the container's own process with
 * the command line's overrides, as runc builds it) and the state checks. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "runtime/bundle.h"
#include "runtime/container.h"
#include "runtime/logging.h"
#include "runtime/ops.h"
#include "runtime/vm.h"

void rt_exec_opts_fini(struct rt_exec_opts *o)
{
	oci_strv_fini(&o->env);
	oci_strv_fini(&o->caps);
}

static int exec_user(const char *spec, struct oci_user *u, struct rt_err *err)
{
	unsigned long uid, gid;
	char *end;

	errno = 0;
	uid = strtoul(spec, &end, 10);
	if (errno || end == spec || uid > UINT32_MAX || (*end && *end != ':'))
		goto bad;
	gid = u->gid;
	if (*end == ':') {
		const char *g = end + 1;

		gid = strtoul(g, &end, 10);
		if (errno || end == g || *end || gid > UINT32_MAX)
			goto bad;
	}
	u->uid = (uint32_t)uid;
	u->gid = (uint32_t)gid;
	return 0;
bad:
	return rt_err_set(err, EINVAL, "--user \"%s\": expected UID[:GID] (numbers)", spec);
}

static int strv_copy(struct oci_strv *dst, const struct oci_strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (oci_strv_push(dst, src->v[i]) < 0)
			return -ENOMEM;
	return 0;
}

/* The base process: the container's own env, user, cwd, rlimits and caps. */
static int exec_base(const struct oci_process *cp, struct oci_process *p)
{
	p->user.uid = cp->user.uid;
	p->user.gid = cp->user.gid;
	p->no_new_privileges = cp->no_new_privileges;
	if (strv_copy(&p->env, &cp->env) < 0 ||
	    strv_copy(&p->caps.bounding, &cp->caps.bounding) < 0 ||
	    strv_copy(&p->caps.effective, &cp->caps.effective) < 0 ||
	    strv_copy(&p->caps.permitted, &cp->caps.permitted) < 0 ||
	    strv_copy(&p->caps.inheritable, &cp->caps.inheritable) < 0 ||
	    strv_copy(&p->caps.ambient, &cp->caps.ambient) < 0)
		return -ENOMEM;
	p->has_caps = cp->has_caps;
	p->cwd = strdup(cp->cwd ? cp->cwd : "/");
	return p->cwd ? 0 : -ENOMEM;
}

static int exec_overrides(const struct rt_exec_opts *o, struct oci_process *p, struct rt_err *err)
{
	for (int i = 0; i < o->argc; i++)
		if (oci_strv_push(&p->args, o->argv[i]) < 0)
			return rt_err_set(err, ENOMEM, "out of memory");
	if (strv_copy(&p->env, &o->env) < 0)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < o->caps.n; i++) {
		if (!oci_name_in(oci_capabilities, o->caps.v[i]))
			return rt_err_set(err, EINVAL, "--cap: unknown capability \"%s\"",
					  o->caps.v[i]);
		if (oci_strv_push(&p->caps.bounding, o->caps.v[i]) < 0 ||
		    oci_strv_push(&p->caps.effective, o->caps.v[i]) < 0 ||
		    oci_strv_push(&p->caps.permitted, o->caps.v[i]) < 0)
			return rt_err_set(err, ENOMEM, "out of memory");
		p->has_caps = true;
	}
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return rt_err_set(err, EINVAL, "--cwd: must be an absolute path");
		free(p->cwd);
		p->cwd = strdup(o->cwd);
	}
	if (!p->cwd)
		p->cwd = strdup("/");
	if (!p->cwd)
		return rt_err_set(err, ENOMEM, "out of memory");
	if (o->user && exec_user(o->user, &p->user, err) < 0)
		return -EINVAL;
	p->terminal = o->tty;
	p->no_new_privileges = p->no_new_privileges || o->no_new_privs;
	return 0;
}

int rt_exec_process(const struct rt_exec_opts *o, const struct oci_config *cfg,
		    struct oci_process **out, struct rt_err *err)
{
	autofree char *buf = NULL;
	struct oci_process *p;
	size_t len;
	int r;

	if (o->process_file) {
		r = oci_file_read(o->process_file, OCI_CONFIG_MAX, &buf, &len, err);
		if (r == 0)
			r = oci_process_parse(buf, len, out, err);
		return r < 0 ? rt_err_prefix(err, "--process %s", o->process_file) : 0;
	}
	if (o->argc < 1)
		return rt_err_set(err, EINVAL,
				  "exec: no command given (use --process FILE or ID CMD...)");
	p = calloc(1, sizeof(*p));
	if (!p)
		return rt_err_set(err, ENOMEM, "out of memory");
	r = cfg && cfg->process ? exec_base(cfg->process, p) : 0;
	if (r < 0)
		r = rt_err_set(err, ENOMEM, "out of memory");
	if (r == 0)
		r = exec_overrides(o, p, err);
	if (r < 0) {
		oci_process_free(p);
		return r;
	}
	*out = p;
	return 0;
}

/* The container's config: create's copy, else the bundle's. */
static int exec_config(const struct rt_container *c, struct oci_config **cfg, struct rt_err *err)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/" RT_CONFIG_COPY, c->dir);
	if (oci_config_load(path, cfg, err) == 0)
		return 0;
	if (err->errnum == ENOENT && c->st.bundle)
		return rt_bundle_load(c->st.bundle, cfg, err);
	return -EINVAL;
}

int rt_exec(const struct rt_globals *g, const struct rt_exec_opts *o, int *status,
	    struct rt_err *err)
{
	struct oci_config *cfg = NULL;
	struct oci_process *p = NULL;
	struct rt_container c;
	int r;

	/* The exec proxy relays stdio only (create and run relay extra fds). */
	if (o->preserve_fds > 0)
		return rt_err_set(err, EINVAL,
				  "--preserve-fds %d: not supported by runvm's exec (create and "
				  "run relay extra fds)",
				  o->preserve_fds);
	r = rt_container_open(g->root, o->id, RT_LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	if (c.st.status != OCI_STATUS_RUNNING && c.st.status != OCI_STATUS_CREATED) {
		r = c.st.status == OCI_STATUS_PAUSED
			? rt_err_set(err, EINVAL, "cannot exec in a paused container")
			: rt_err_set(err, ESRCH, "container not running");
		goto out;
	}
	if (!o->process_file && exec_config(&c, &cfg, err) < 0)
		goto out_err;
	r = rt_exec_process(o, cfg, &p, err);
	if (r < 0)
		goto out;
	/* The exec lives as long as its process: do not block other commands. */
	rt_container_unlock(&c);
	r = rt_vm_exec(g, &c, p, o, status, err);
	goto out;
out_err:
	r = -EINVAL;
out:
	oci_process_free(p);
	oci_config_free(cfg);
	rt_container_close(&c);
	return r;
}
