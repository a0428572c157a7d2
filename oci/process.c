/* config.json "process": args, env, cwd, user, terminal, console size,
 * capabilities, rlimits and the smaller knobs. Also exec's --process file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util.h"
#include "oci/config.h"

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

static int process_user(yajl_val proc, const char *parent, struct oci_user *u, struct rt_err *err)
{
	char path[OCI_JPATH_MAX], gp[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val v = NULL, *items;
	size_t n;
	int r;

	r = oci_j_obj(proc, "user", parent, &v, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), parent, "user");
	if (oci_j_u32(v, "uid", path, &u->uid, err) < 0 ||
	    oci_j_u32(v, "gid", path, &u->gid, err) < 0)
		return -EINVAL;
	r = oci_j_u32(v, "umask", path, &u->umask, err);
	if (r < 0)
		return r;
	u->has_umask = r;
	r = oci_j_each(v, "additionalGids", path, &items, &n, err);
	if (r <= 0)
		return r;
	u->additional_gids = calloc(n ? n : 1, sizeof(*u->additional_gids));
	if (!u->additional_gids)
		return rt_err_set(err, ENOMEM, "out of memory");
	oci_jpath(gp, sizeof(gp), path, "additionalGids");
	for (size_t i = 0; i < n; i++) {
		uint64_t g;

		oci_jpath_idx(ip, sizeof(ip), gp, i);
		if (oci_jv_u64(items[i], ip, UINT32_MAX, &g, err) < 0)
			return -EINVAL;
		u->additional_gids[u->n_additional_gids++] = (uint32_t)g;
	}
	return 0;
}

static int process_caps(yajl_val proc, const char *parent, struct oci_process *p,
			struct rt_err *err)
{
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(proc, "capabilities", parent, &v, err);
	if (r <= 0)
		return r;
	p->has_caps = true;
	oci_jpath(path, sizeof(path), parent, "capabilities");
	if (oci_j_strv(v, "bounding", path, &p->caps.bounding, err) < 0 ||
	    oci_j_strv(v, "effective", path, &p->caps.effective, err) < 0 ||
	    oci_j_strv(v, "inheritable", path, &p->caps.inheritable, err) < 0 ||
	    oci_j_strv(v, "permitted", path, &p->caps.permitted, err) < 0 ||
	    oci_j_strv(v, "ambient", path, &p->caps.ambient, err) < 0)
		return -EINVAL;
	return 0;
}

static int rlimit_one(yajl_val v, const char *path, struct oci_rlimit *rl, struct rt_err *err)
{
	size_t i;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (oci_j_str(v, "type", path, &rl->type, err) < 0)
		return -EINVAL;
	if (!rl->type)
		return oci_j_missing(path, "type", err);
	for (i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (!strcmp(rlimit_names[i].name, rl->type))
			break;
	if (i == ARRAY_SIZE(rlimit_names))
		return rt_err_set(err, EINVAL, "%s.type: unknown rlimit \"%s\"", path, rl->type);
	rl->resource = rlimit_names[i].resource;
	if (oci_j_u64(v, "soft", path, UINT64_MAX, &rl->soft, err) < 0 ||
	    oci_j_u64(v, "hard", path, UINT64_MAX, &rl->hard, err) < 0)
		return -EINVAL;
	if (rl->soft > rl->hard)
		return rt_err_set(err, EINVAL, "%s: soft limit above the hard limit", path);
	return 0;
}

static int process_rlimits(yajl_val proc, const char *parent, struct oci_process *p,
			   struct rt_err *err)
{
	char path[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(proc, "rlimits", parent, &items, &n, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), parent, "rlimits");
	p->rlimits = calloc(n ? n : 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), path, i);
		p->n_rlimits = i + 1;
		r = rlimit_one(items[i], ip, &p->rlimits[i], err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].resource == p->rlimits[i].resource)
				return rt_err_set(err, EINVAL, "%s: duplicate rlimit %s", path,
						  p->rlimits[i].type);
	}
	return 0;
}

static int process_console(yajl_val proc, const char *parent, struct oci_process *p,
			   struct rt_err *err)
{
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(proc, "consoleSize", parent, &v, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), parent, "consoleSize");
	r = oci_j_u32(v, "height", path, &p->console_height, err);
	if (r == 0)
		return oci_j_missing(path, "height", err);
	if (r < 0)
		return r;
	r = oci_j_u32(v, "width", path, &p->console_width, err);
	if (r == 0)
		return oci_j_missing(path, "width", err);
	if (r < 0)
		return r;
	p->has_console_size = true;
	return 0;
}

static int process_required(yajl_val v, const char *path, struct oci_process *p, struct rt_err *err)
{
	char sub[OCI_JPATH_MAX];
	int r;

	r = oci_j_strv(v, "args", path, &p->args, err);
	if (r < 0)
		return r;
	oci_jpath(sub, sizeof(sub), path, "args");
	if (r == 0)
		return rt_err_set(err, EINVAL, "%s: required but missing", sub);
	if (p->args.n == 0 || !p->args.v[0][0])
		return rt_err_set(err, EINVAL, "%s: must not be empty", sub);
	r = oci_j_str(v, "cwd", path, &p->cwd, err);
	if (r < 0)
		return r;
	oci_jpath(sub, sizeof(sub), path, "cwd");
	if (r == 0)
		return rt_err_set(err, EINVAL, "%s: required but missing", sub);
	if (p->cwd[0] != '/')
		return rt_err_set(err, EINVAL, "%s: must be an absolute path", sub);
	return 0;
}

int oci_parse_process(yajl_val v, const char *path, struct oci_process *p, struct rt_err *err)
{
	int64_t oom = 0;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (process_required(v, path, p, err) < 0 || oci_j_strv(v, "env", path, &p->env, err) < 0 ||
	    oci_j_bool(v, "terminal", path, &p->terminal, err) < 0 ||
	    process_console(v, path, p, err) < 0 || process_user(v, path, &p->user, err) < 0 ||
	    process_caps(v, path, p, err) < 0 || process_rlimits(v, path, p, err) < 0 ||
	    oci_j_bool(v, "noNewPrivileges", path, &p->no_new_privileges, err) < 0 ||
	    oci_j_str(v, "apparmorProfile", path, &p->apparmor_profile, err) < 0 ||
	    oci_j_str(v, "selinuxLabel", path, &p->selinux_label, err) < 0)
		return -EINVAL;
	r = oci_j_i64(v, "oomScoreAdj", path, -1000, 1000, &oom, err);
	if (r < 0)
		return r;
	p->has_oom_score_adj = r;
	p->oom_score_adj = (int)oom;
	return 0;
}

void oci_process_fini(struct oci_process *p)
{
	if (!p)
		return;
	oci_strv_fini(&p->args);
	oci_strv_fini(&p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	oci_strv_fini(&p->caps.bounding);
	oci_strv_fini(&p->caps.effective);
	oci_strv_fini(&p->caps.inheritable);
	oci_strv_fini(&p->caps.permitted);
	oci_strv_fini(&p->caps.ambient);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	memset(p, 0, sizeof(*p));
}

void oci_process_free(struct oci_process *p)
{
	oci_process_fini(p);
	free(p);
}

int oci_process_parse(const char *json, size_t len, struct oci_process **out, struct rt_err *err)
{
	struct oci_process *p;
	yajl_val root;
	int r;

	r = oci_json_parse(json, len, &root, err);
	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p) {
		yajl_tree_free(root);
		return rt_err_set(err, ENOMEM, "out of memory");
	}
	r = oci_parse_process(root, "process", p, err);
	yajl_tree_free(root);
	if (r < 0) {
		oci_process_free(p);
		return r;
	}
	*out = p;
	return 0;
}
