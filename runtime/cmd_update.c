/* runvm update [--resources FILE|-] [--memory N] [--cpu-quota N] ... ID: the OCI
 * LinuxResources document, with runc's single flags applied on top. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/cmds.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

enum {
	U_RESOURCES = 1,
	U_MEMORY,
	U_MEM_RES,
	U_MEM_SWAP,
	U_CPU_PERIOD,
	U_CPU_QUOTA,
	U_CPU_SHARE,
	U_CPUS,
	U_MEMS,
	U_PIDS,
	U_KMEM,
	U_KMEM_TCP,
	U_BLKIO,
	U_L3,
	U_MEMBW
};

static const struct rt_opt update_opts[] = {
	{ "resources", 'r', RT_OPT_VALUE, U_RESOURCES },
	{ "memory", 'm', RT_OPT_VALUE, U_MEMORY },
	{ "memory-reservation", 0, RT_OPT_VALUE, U_MEM_RES },
	{ "memory-swap", 0, RT_OPT_VALUE, U_MEM_SWAP },
	{ "cpu-period", 0, RT_OPT_VALUE, U_CPU_PERIOD },
	{ "cpu-quota", 0, RT_OPT_VALUE, U_CPU_QUOTA },
	{ "cpu-share", 0, RT_OPT_VALUE, U_CPU_SHARE },
	{ "cpuset-cpus", 0, RT_OPT_VALUE, U_CPUS },
	{ "cpuset-mems", 0, RT_OPT_VALUE, U_MEMS },
	{ "pids-limit", 0, RT_OPT_VALUE, U_PIDS },
	{ "kernel-memory", 0, RT_OPT_VALUE, U_KMEM },
	{ "kernel-memory-tcp", 0, RT_OPT_VALUE, U_KMEM_TCP },
	{ "blkio-weight", 0, RT_OPT_VALUE, U_BLKIO },
	{ "l3-cache-schema", 0, RT_OPT_VALUE, U_L3 },
	{ "mem-bw-schema", 0, RT_OPT_VALUE, U_MEMBW },
	{ NULL, 0, 0, 0 },
};

int rt_parse_bytes(const char *opt, const char *s, int64_t *out, struct rt_err *err)
{
	static const char units[] = "kmgt";
	const char *u;
	char *end;
	long long v;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < -1)
		goto bad;
	if (*end) {
		u = strchr(units, *end | 0x20);
		if (!u || v < 0)
			goto bad;
		shift = 10 * (int)(u - units + 1);
		end++;
		if ((*end | 0x20) == 'b')
			end++;
		if (*end)
			goto bad;
		if (v > (INT64_MAX >> shift))
			goto bad;
	}
	*out = v < 0 ? -1 : (int64_t)((uint64_t)v << shift);
	return 0;
bad:
	return rt_err_set(err, EINVAL, "--%s: expected bytes like 512m or 1g (or -1), got \"%s\"",
			  opt, s);
}

static int update_load(const char *file, struct oci_resources *res, struct rt_err *err)
{
	autofree char *buf = NULL;
	size_t len;
	int r;

	if (!strcmp(file, "-"))
		r = oci_fd_read(STDIN_FILENO, "stdin", OCI_CONFIG_MAX, &buf, &len, err);
	else
		r = oci_file_read(file, OCI_CONFIG_MAX, &buf, &len, err);
	if (r == 0)
		r = oci_resources_parse(buf, len, res, err);
	return r < 0 ? rt_err_prefix(err, "--resources %s", file) : 0;
}

static int update_num(const char *opt, const char *val, long long min, int64_t *out, bool *has,
		      struct rt_err *err)
{
	long long n;

	if (rt_opt_long(opt, val, min, INT64_MAX, &n, err) < 0)
		return -EINVAL;
	*out = n;
	*has = true;
	return 0;
}

static int update_str(char **dst, const char *val, struct rt_err *err)
{
	free(*dst);
	*dst = strdup(val);
	return *dst ? 0 : rt_err_set(err, ENOMEM, "out of memory");
}

static int update_flag(int id, const char *val, struct oci_resources *r, struct rt_err *err)
{
	int64_t x;
	bool has;

	switch (id) {
	case U_MEMORY:
		r->has_memory_limit = true;
		return rt_parse_bytes("memory", val, &r->memory_limit, err);
	case U_MEM_RES:
		r->has_memory_reservation = true;
		return rt_parse_bytes("memory-reservation", val, &r->memory_reservation, err);
	case U_MEM_SWAP:
		r->has_memory_swap = true;
		return rt_parse_bytes("memory-swap", val, &r->memory_swap, err);
	case U_CPU_QUOTA:
		return update_num("cpu-quota", val, -1, &r->cpu_quota, &r->has_cpu_quota, err);
	case U_PIDS:
		return update_num("pids-limit", val, -1, &r->pids_limit, &r->has_pids_limit, err);
	case U_CPUS:
		return update_str(&r->cpu_cpus, val, err);
	case U_MEMS:
		return update_str(&r->cpu_mems, val, err);
	case U_CPU_PERIOD:
		if (update_num("cpu-period", val, 0, &x, &has, err) < 0)
			return -EINVAL;
		r->cpu_period = (uint64_t)x;
		r->has_cpu_period = true;
		return 0;
	case U_CPU_SHARE:
		if (update_num("cpu-share", val, 0, &x, &has, err) < 0)
			return -EINVAL;
		r->cpu_shares = (uint64_t)x;
		r->has_cpu_shares = true;
		return 0;
	}
	return rt_err_set(err, EINVAL, "update: this resource is not supported by runvm");
}

int rt_update_parse(int argc, char **argv, struct oci_resources *res, const char **cid,
		    struct rt_err *err)
{
	struct rt_optparse p;
	const char *val, *file = NULL;
	int id, n = 0, ids[32];
	const char *vals[32];

	memset(res, 0, sizeof(*res));
	rt_opt_init(&p, argc, argv, "update");
	/* The file first, whatever the order: the single flags override it. */
	while ((id = rt_opt_next(&p, update_opts, &val, err)) > 0) {
		if (id == U_RESOURCES)
			file = val;
		else if (n < (int)ARRAY_SIZE(ids)) {
			ids[n] = id;
			vals[n++] = val;
		}
	}
	if (id < 0 || rt_opt_operands(&p, 1, err) < 0)
		return -EINVAL;
	if (file && update_load(file, res, err) < 0)
		return -EINVAL;
	for (int i = 0; i < n; i++) {
		if (update_flag(ids[i], vals[i], res, err) < 0) {
			oci_resources_fini(res);
			return -EINVAL;
		}
	}
	*cid = argv[p.idx];
	return 0;
}

int rt_cmd_update(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct oci_resources res;
	const char *id;
	int r;

	if (rt_update_parse(argc, argv, &res, &id, err) < 0)
		return -EINVAL;
	r = rt_update(g, id, &res, err);
	oci_resources_fini(&res);
	return r;
}
