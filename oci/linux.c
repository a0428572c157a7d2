/* config.json "linux": cgroupsPath, resources, namespaces, sysctl, seccomp, masked
 * and read-only paths, device nodes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

static int ns_one(yajl_val v, const char *path, struct oci_namespace *ns, struct rt_err *err)
{
	char *type = NULL;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_str(v, "type", path, &type, err);
	if (r == 0)
		return oci_j_missing(path, "type", err);
	if (r < 0)
		return r;
	for (ns->type = 0; ns->type < OCI_NS_TYPES; ns->type++)
		if (!strcmp(type, oci_ns_type_name(ns->type)))
			break;
	if (ns->type == OCI_NS_TYPES) {
		r = rt_err_set(err, EINVAL, "%s.type: unknown namespace type \"%s\"", path, type);
		free(type);
		return r;
	}
	free(type);
	if (oci_j_str(v, "path", path, &ns->path, err) < 0)
		return -EINVAL;
	if (ns->path && ns->path[0] != '/')
		return rt_err_set(err, EINVAL, "%s.path: must be an absolute path", path);
	return 0;
}

static int linux_namespaces(yajl_val lx, const char *parent, struct oci_linux *l,
			    struct rt_err *err)
{
	char path[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(lx, "namespaces", parent, &items, &n, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), parent, "namespaces");
	l->namespaces = calloc(n ? n : 1, sizeof(*l->namespaces));
	if (!l->namespaces)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), path, i);
		l->n_namespaces = i + 1;
		r = ns_one(items[i], ip, &l->namespaces[i], err);
		if (r < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (l->namespaces[j].type == l->namespaces[i].type)
				return rt_err_set(err, EINVAL, "%s: duplicate namespace type %s",
						  path, oci_ns_type_name(l->namespaces[i].type));
	}
	return 0;
}

static int dev_type(yajl_val v, const char *path, struct oci_device *d, struct rt_err *err)
{
	char *t = NULL;
	int r;

	r = oci_j_str(v, "type", path, &t, err);
	if (r == 0)
		return oci_j_missing(path, "type", err);
	if (r < 0)
		return r;
	if (strlen(t) != 1 || !strchr("cbup", t[0])) {
		free(t);
		return rt_err_set(err, EINVAL, "%s.type: expected \"c\", \"b\", \"u\" or \"p\"",
				  path);
	}
	d->type = t[0];
	free(t);
	return 0;
}

static int dev_one(yajl_val v, const char *path, struct oci_device *d, struct rt_err *err)
{
	int r, rmaj, rmin;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_str(v, "path", path, &d->path, err);
	if (r == 0)
		return oci_j_missing(path, "path", err);
	if (r < 0)
		return r;
	if (dev_type(v, path, d, err) < 0)
		return -EINVAL;
	rmaj = oci_j_i64(v, "major", path, 0, INT64_MAX, &d->major, err);
	if (rmaj < 0)
		return rmaj;
	rmin = oci_j_i64(v, "minor", path, 0, INT64_MAX, &d->minor, err);
	if (rmin < 0)
		return rmin;
	if (d->type != 'p' && (!rmaj || !rmin))
		return oci_j_missing(path, rmaj ? "minor" : "major", err);
	r = oci_j_u32(v, "fileMode", path, &d->file_mode, err);
	if (r < 0)
		return r;
	d->has_file_mode = r;
	r = oci_j_u32(v, "uid", path, &d->uid, err);
	if (r < 0)
		return r;
	d->has_uid = r;
	r = oci_j_u32(v, "gid", path, &d->gid, err);
	if (r < 0)
		return r;
	d->has_gid = r;
	return 0;
}

static int linux_devices(yajl_val lx, const char *parent, struct oci_linux *l, struct rt_err *err)
{
	char path[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(lx, "devices", parent, &items, &n, err);
	if (r <= 0)
		return r;
	oci_jpath(path, sizeof(path), parent, "devices");
	l->devices = calloc(n ? n : 1, sizeof(*l->devices));
	if (!l->devices)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), path, i);
		l->n_devices = i + 1;
		r = dev_one(items[i], ip, &l->devices[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int linux_sections(yajl_val v, const char *path, struct oci_linux *l, struct rt_err *err)
{
	char sub[OCI_JPATH_MAX];
	yajl_val o = NULL;
	int r;

	r = oci_j_obj(v, "resources", path, &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		l->has_resources = true;
		oci_jpath(sub, sizeof(sub), path, "resources");
		if (oci_parse_resources(o, sub, &l->resources, err) < 0)
			return -EINVAL;
	}
	o = NULL;
	r = oci_j_obj(v, "seccomp", path, &o, err);
	if (r <= 0)
		return r;
	l->seccomp = calloc(1, sizeof(*l->seccomp));
	if (!l->seccomp)
		return rt_err_set(err, ENOMEM, "out of memory");
	oci_jpath(sub, sizeof(sub), path, "seccomp");
	return oci_parse_seccomp(o, sub, l->seccomp, err);
}

int oci_parse_linux(yajl_val v, const char *path, struct oci_linux *l, struct rt_err *err)
{
	yajl_val m = NULL;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (oci_j_str(v, "cgroupsPath", path, &l->cgroups_path, err) < 0 ||
	    linux_namespaces(v, path, l, err) < 0 ||
	    oci_j_kvv(v, "sysctl", path, &l->sysctl, err) < 0 ||
	    oci_j_strv(v, "maskedPaths", path, &l->masked_paths, err) < 0 ||
	    oci_j_strv(v, "readonlyPaths", path, &l->readonly_paths, err) < 0 ||
	    linux_devices(v, path, l, err) < 0 || linux_sections(v, path, l, err) < 0)
		return -EINVAL;
	r = oci_j_arr(v, "uidMappings", path, &m, err);
	if (r < 0)
		return r;
	l->has_uid_mappings = r > 0 && m->u.array.len > 0;
	return 0;
}

void oci_linux_fini(struct oci_linux *l)
{
	free(l->cgroups_path);
	oci_resources_fini(&l->resources);
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	oci_kvv_fini(&l->sysctl);
	oci_seccomp_fini(l->seccomp);
	free(l->seccomp);
	oci_strv_fini(&l->masked_paths);
	oci_strv_fini(&l->readonly_paths);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	memset(l, 0, sizeof(*l));
}
