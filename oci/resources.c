/* linux.resources (also the document of `update --resources`): memory, cpu, pids
 * and device rules are parsed; sections runvm cannot apply are listed by path. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

static int res_unsupported(struct oci_resources *r, const char *parent, const char *key,
			   struct rt_err *err)
{
	char p[OCI_JPATH_MAX];

	oci_jpath(p, sizeof(p), parent, key);
	if (oci_strv_push(&r->unsupported, p) < 0)
		return rt_err_set(err, ENOMEM, "out of memory");
	return 0;
}

/* A member counts as set when it is present and not an empty object or array, zero
 * or false: clients send empty sections and zero defaults for what they leave alone. */
static bool res_is_set(yajl_val obj, const char *key)
{
	yajl_val v = oci_j_get(obj, key);

	if (!v || YAJL_IS_FALSE(v))
		return false;
	if (YAJL_IS_OBJECT(v))
		return v->u.object.len > 0;
	if (YAJL_IS_ARRAY(v))
		return v->u.array.len > 0;
	if (YAJL_IS_NUMBER(v))
		return v->u.number.r && strcmp(v->u.number.r, "0") != 0;
	return true;
}

static int res_note_unsupported(yajl_val obj, const char *parent, const char *const *keys,
				struct oci_resources *r, struct rt_err *err)
{
	for (; *keys; keys++)
		if (res_is_set(obj, *keys) && res_unsupported(r, parent, *keys, err) < 0)
			return -ENOMEM;
	return 0;
}

static int res_memory(yajl_val res, const char *parent, struct oci_resources *r, struct rt_err *err)
{
	static const char *const unsupported[] = {
		"kernel",	"kernelTCP",	     "swappiness", "disableOOMKiller",
		"useHierarchy", "checkBeforeUpdate", NULL
	};
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int x;

	x = oci_j_obj(res, "memory", parent, &v, err);
	if (x <= 0)
		return x;
	oci_jpath(path, sizeof(path), parent, "memory");
	x = oci_j_i64(v, "limit", path, -1, INT64_MAX, &r->memory_limit, err);
	if (x < 0)
		return x;
	r->has_memory_limit = x;
	x = oci_j_i64(v, "reservation", path, -1, INT64_MAX, &r->memory_reservation, err);
	if (x < 0)
		return x;
	r->has_memory_reservation = x;
	x = oci_j_i64(v, "swap", path, -1, INT64_MAX, &r->memory_swap, err);
	if (x < 0)
		return x;
	r->has_memory_swap = x;
	return res_note_unsupported(v, path, unsupported, r, err);
}

static int res_cpu(yajl_val res, const char *parent, struct oci_resources *r, struct rt_err *err)
{
	static const char *const unsupported[] = { "realtimeRuntime", "realtimePeriod", "idle",
						   NULL };
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int x;

	x = oci_j_obj(res, "cpu", parent, &v, err);
	if (x <= 0)
		return x;
	oci_jpath(path, sizeof(path), parent, "cpu");
	x = oci_j_u64(v, "shares", path, UINT64_MAX, &r->cpu_shares, err);
	if (x < 0)
		return x;
	r->has_cpu_shares = x;
	x = oci_j_i64(v, "quota", path, -1, INT64_MAX, &r->cpu_quota, err);
	if (x < 0)
		return x;
	r->has_cpu_quota = x;
	x = oci_j_u64(v, "period", path, UINT64_MAX, &r->cpu_period, err);
	if (x < 0)
		return x;
	r->has_cpu_period = x;
	if (oci_j_str(v, "cpus", path, &r->cpu_cpus, err) < 0 ||
	    oci_j_str(v, "mems", path, &r->cpu_mems, err) < 0)
		return -EINVAL;
	return res_note_unsupported(v, path, unsupported, r, err);
}

static int res_pids(yajl_val res, const char *parent, struct oci_resources *r, struct rt_err *err)
{
	char path[OCI_JPATH_MAX];
	yajl_val v = NULL;
	int x;

	x = oci_j_obj(res, "pids", parent, &v, err);
	if (x <= 0)
		return x;
	oci_jpath(path, sizeof(path), parent, "pids");
	x = oci_j_i64(v, "limit", path, INT64_MIN, INT64_MAX, &r->pids_limit, err);
	if (x < 0)
		return x;
	r->has_pids_limit = x;
	return 0;
}

static int res_device_rule(yajl_val v, const char *path, struct oci_device_rule *d,
			   struct rt_err *err)
{
	char *s = NULL;
	int x;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	x = oci_j_bool(v, "allow", path, &d->allow, err);
	if (x == 0)
		return oci_j_missing(path, "allow", err);
	if (x < 0)
		return x;
	d->type = 'a';
	if (oci_j_str(v, "type", path, &s, err) < 0)
		return -EINVAL;
	if (s && (strlen(s) != 1 || !strchr("acb", s[0]))) {
		free(s);
		return rt_err_set(err, EINVAL, "%s.type: expected \"a\", \"c\" or \"b\"", path);
	}
	if (s)
		d->type = s[0];
	free(s);
	s = NULL;
	x = oci_j_i64(v, "major", path, -1, INT64_MAX, &d->major, err);
	if (x < 0)
		return x;
	d->has_major = x && d->major >= 0;
	x = oci_j_i64(v, "minor", path, -1, INT64_MAX, &d->minor, err);
	if (x < 0)
		return x;
	d->has_minor = x && d->minor >= 0;
	if (oci_j_str(v, "access", path, &s, err) < 0)
		return -EINVAL;
	if (s && (strlen(s) > 3 || strspn(s, "rwm") != strlen(s))) {
		free(s);
		return rt_err_set(err, EINVAL, "%s.access: expected letters of \"rwm\"", path);
	}
	strcpy(d->access, s ? s : "rwm");
	free(s);
	return 0;
}

static int res_devices(yajl_val res, const char *parent, struct oci_resources *r,
		       struct rt_err *err)
{
	char path[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int x;

	x = oci_j_each(res, "devices", parent, &items, &n, err);
	if (x <= 0)
		return x;
	oci_jpath(path, sizeof(path), parent, "devices");
	r->devices = calloc(n ? n : 1, sizeof(*r->devices));
	if (!r->devices)
		return rt_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		oci_jpath_idx(ip, sizeof(ip), path, i);
		x = res_device_rule(items[i], ip, &r->devices[i], err);
		if (x < 0)
			return x;
		r->n_devices = i + 1;
	}
	return 0;
}

int oci_parse_resources(yajl_val v, const char *path, struct oci_resources *r, struct rt_err *err)
{
	static const char *const unsupported[] = { "blockIO", "hugepageLimits", "network",
						   "rdma",    "unified",	NULL };

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (res_memory(v, path, r, err) < 0 || res_cpu(v, path, r, err) < 0 ||
	    res_pids(v, path, r, err) < 0 || res_devices(v, path, r, err) < 0)
		return -EINVAL;
	return res_note_unsupported(v, path, unsupported, r, err);
}

void oci_resources_fini(struct oci_resources *r)
{
	free(r->cpu_cpus);
	free(r->cpu_mems);
	free(r->devices);
	oci_strv_fini(&r->unsupported);
	memset(r, 0, sizeof(*r));
}

int oci_resources_parse(const char *json, size_t len, struct oci_resources *out, struct rt_err *err)
{
	yajl_val root;
	int r;

	memset(out, 0, sizeof(*out));
	r = oci_json_parse(json, len, &root, err);
	if (r < 0)
		return r;
	r = oci_parse_resources(root, "resources", out, err);
	yajl_tree_free(root);
	if (r < 0)
		oci_resources_fini(out);
	return r;
}
