/* config.json: the top level, root, mounts, hooks, annotations, the vm section, and
 * loading from a file with a size cap. process and linux live in their own files. */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "oci/config.h"

static int cfg_root(yajl_val top, struct oci_config *c, struct rt_err *err)
{
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(top, "root", "", &v, err);
	if (r < 0)
		return r;
	if (r == 0)
		return oci_j_missing("", "root", err);
	r = oci_j_str(v, "path", "root", &c->root.path, err);
	if (r < 0)
		return r;
	if (r == 0 || !c->root.path[0])
		return oci_j_missing("root", "path", err);
	return oci_j_bool(v, "readonly", "root", &c->root.readonly, err) < 0 ? -EINVAL : 0;
}

static int mount_one(yajl_val v, const char *path, struct oci_mount *m, struct rt_err *err)
{
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_str(v, "destination", path, &m->destination, err);
	if (r == 0)
		return oci_j_missing(path, "destination", err);
	if (r < 0)
		return r;
	if (oci_j_str(v, "type", path, &m->type, err) < 0 ||
	    oci_j_str(v, "source", path, &m->source, err) < 0 ||
	    oci_j_strv(v, "options", path, &m->options, err) < 0)
		return -EINVAL;
	return 0;
}

static int cfg_mounts(yajl_val top, struct oci_config *c, struct rt_err *err)
{
	char ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(top, "mounts", "", &items, &n, err);
	if (r <= 0)
		return r;
	c->mounts = calloc(n ? n : 1, sizeof(*c->mounts));
	if (!c->mounts)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), "mounts", i);
		c->n_mounts = i + 1;
		r = mount_one(items[i], ip, &c->mounts[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int hook_one(yajl_val v, const char *path, struct oci_hook *h, struct rt_err *err)
{
	int64_t t = 0;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_str(v, "path", path, &h->path, err);
	if (r == 0)
		return oci_j_missing(path, "path", err);
	if (r < 0)
		return r;
	if (h->path[0] != '/')
		return rt_err_set(err, EINVAL, "%s.path: must be an absolute path", path);
	if (oci_j_strv(v, "args", path, &h->args, err) < 0 ||
	    oci_j_strv(v, "env", path, &h->env, err) < 0)
		return -EINVAL;
	r = oci_j_i64(v, "timeout", path, 1, INT32_MAX, &t, err);
	if (r < 0)
		return r;
	h->has_timeout = r;
	h->timeout = (int)t;
	return 0;
}

static int hook_list(yajl_val hooks, enum oci_hook_kind kind, struct oci_hook_list *l,
		     struct rt_err *err)
{
	char path[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(hooks, oci_hook_kind_name(kind), "hooks", &items, &n, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), "hooks", oci_hook_kind_name(kind));
	l->v = calloc(n ? n : 1, sizeof(*l->v));
	if (!l->v)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), path, i);
		l->n = i + 1;
		r = hook_one(items[i], ip, &l->v[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int cfg_hooks(yajl_val top, struct oci_config *c, struct rt_err *err)
{
	yajl_val hooks = NULL;
	int r;

	r = oci_j_obj(top, "hooks", "", &hooks, err);
	if (r <= 0)
		return r;
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		if (hook_list(hooks, k, &c->hooks[k], err) < 0)
			return -EINVAL;
	return 0;
}

static int cfg_sections(yajl_val top, struct oci_config *c, struct rt_err *err)
{
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(top, "process", "", &v, err);
	if (r < 0)
		return r;
	if (r > 0) {
		c->process = calloc(1, sizeof(*c->process));
		if (!c->process)
			return rt_err_set(err, ENOMEM, "out of memory");
		if (oci_parse_process(v, "process", c->process, err) < 0)
			return -EINVAL;
	}
	v = NULL;
	r = oci_j_obj(top, "linux", "", &v, err);
	if (r < 0)
		return r;
	if (r > 0) {
		c->has_linux = true;
		if (oci_parse_linux(v, "linux", &c->lnx, err) < 0)
			return -EINVAL;
	}
	v = NULL;
	r = oci_j_obj(top, "vm", "", &v, err);
	if (r <= 0)
		return r;
	c->vm = calloc(1, sizeof(*c->vm));
	if (!c->vm)
		return rt_err_set(err, ENOMEM, "out of memory");
	return oci_parse_vm(v, "vm", c->vm, err);
}

static int cfg_top(yajl_val top, struct oci_config *c, struct rt_err *err)
{
	int r;

	if (!YAJL_IS_OBJECT(top))
		return rt_err_set(err, EINVAL, "expected a JSON object");
	r = oci_j_str(top, "ociVersion", "", &c->oci_version, err);
	if (r < 0)
		return r;
	if (r == 0 || !c->oci_version[0])
		return oci_j_missing("", "ociVersion", err);
	if (cfg_root(top, c, err) < 0 || cfg_mounts(top, c, err) < 0 ||
	    cfg_hooks(top, c, err) < 0 ||
	    oci_j_kvv(top, "annotations", "", &c->annotations, err) < 0 ||
	    oci_j_str(top, "hostname", "", &c->hostname, err) < 0 ||
	    oci_j_str(top, "domainname", "", &c->domainname, err) < 0)
		return -EINVAL;
	return cfg_sections(top, c, err);
}

int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct rt_err *err)
{
	struct oci_config *c;
	yajl_val top;
	int r;

	r = oci_json_parse(json, len, &top, err);
	if (r < 0)
		return r;
	c = calloc(1, sizeof(*c));
	if (!c) {
		yajl_tree_free(top);
		return rt_err_set(err, ENOMEM, "out of memory");
	}
	r = cfg_top(top, c, err);
	yajl_tree_free(top);
	if (r < 0) {
		oci_config_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int oci_config_load(const char *path, struct oci_config **out, struct rt_err *err)
{
	autofree char *buf = NULL;
	autofree char *copy = strdup(path);
	size_t len;
	int r;

	if (!copy)
		return rt_err_set(err, ENOMEM, "out of memory");
	r = oci_file_read(path, OCI_CONFIG_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	r = oci_config_parse(buf, len, out, err);
	if (r < 0)
		return rt_err_prefix(err, "%s", basename(copy));
	return 0;
}

static void hook_list_fini(struct oci_hook_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		oci_strv_fini(&l->v[i].args);
		oci_strv_fini(&l->v[i].env);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void oci_config_free(struct oci_config *c)
{
	if (!c)
		return;
	free(c->oci_version);
	oci_process_free(c->process);
	free(c->root.path);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		oci_strv_fini(&c->mounts[i].options);
	}
	free(c->mounts);
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		hook_list_fini(&c->hooks[k]);
	oci_kvv_fini(&c->annotations);
	free(c->hostname);
	free(c->domainname);
	oci_linux_fini(&c->lnx);
	oci_vm_fini(c->vm);
	free(c->vm);
	free(c);
}
