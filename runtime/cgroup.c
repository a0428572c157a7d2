/* The container's host cgroup (see cgroup.h): cgroup v2 here, a v1 or hybrid
 * host in cgroup_v1.c. */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/logging.h"
#include "runtime/spec2proto.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int rt_cgroup_slice_path(const char *slice, char *out, size_t size, struct rt_err *err)
{
	size_t len = strlen(slice), used = 0;

	out[0] = '\0';
	if (!len || !strcmp(slice, "-.slice"))
		return 0;
	if (!ends_with(slice, ".slice") || strchr(slice, '/') || len == strlen(".slice") ||
	    slice[0] == '-' || strstr(slice, "--") || slice[len - strlen(".slice") - 1] == '-')
		return rt_err_set(err, EINVAL, "invalid systemd slice name \"%s\"", slice);
	/* Every dash-separated prefix is a parent slice: a-b-c.slice lives in
	 * a.slice/a-b.slice/a-b-c.slice. */
	for (const char *p = slice;; p++) {
		if (*p != '-' && *p != '.')
			continue;
		if (*p == '.' && strcmp(p, ".slice"))
			continue;
		int n = snprintf(out + used, size - used, "%s%.*s.slice", used ? "/" : "",
				 (int)(p - slice), slice);

		if (n < 0 || (size_t)n >= size - used)
			return rt_err_set(err, ENAMETOOLONG, "slice %s: path too long", slice);
		used += (size_t)n;
		if (*p == '.')
			return 0;
	}
}

static int systemd_dir(const char *root, const char *path, char *out, size_t size,
		       struct rt_err *err)
{
	char slice[256], sp[1024], unit[512];
	const char *c1 = strchr(path, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	const char *name;
	int n;

	if (!c2 || (size_t)(c1 - path) >= sizeof(slice))
		return rt_err_set(err, EINVAL,
				  "expected cgroupsPath to be of format \"slice:prefix:name\" for "
				  "systemd cgroups, got \"%s\" instead",
				  path);
	memcpy(slice, path, (size_t)(c1 - path));
	slice[c1 - path] = '\0';
	name = c2 + 1;
	if (!*name || strchr(name, '/'))
		return rt_err_set(err, EINVAL, "cgroupsPath \"%s\": invalid unit name", path);
	if (rt_cgroup_slice_path(slice[0] ? slice : "system.slice", sp, sizeof(sp), err) < 0)
		return -EINVAL;
	/* A name that is a slice is the cgroup itself; else a scope named
	 * <prefix>-<name>.scope (runc's rule). */
	if (ends_with(name, ".slice"))
		n = snprintf(unit, sizeof(unit), "%s", name);
	else if (c2 > c1 + 1)
		n = snprintf(unit, sizeof(unit), "%.*s-%s.scope", (int)(c2 - c1 - 1), c1 + 1, name);
	else
		n = snprintf(unit, sizeof(unit), "%s.scope", name);
	if (n < 0 || (size_t)n >= sizeof(unit))
		return rt_err_set(err, ENAMETOOLONG, "cgroupsPath \"%s\": too long", path);
	n = snprintf(out, size, "%s%s%s/%s", root, sp[0] ? "/" : "", sp, unit);
	if (n < 0 || (size_t)n >= size)
		return rt_err_set(err, ENAMETOOLONG, "cgroupsPath \"%s\": too long", path);
	return 0;
}

int rt_cgroup_dir(const char *root, enum rt_cgroup_manager m, const char *cgroups_path,
		  char *out, size_t size, struct rt_err *err)
{
	const char *p = cgroups_path;
	int n;

	out[0] = '\0';
	if (!p || !*p || m == RT_CGROUP_DISABLED)
		return 0;
	if (m == RT_CGROUP_SYSTEMD)
		return systemd_dir(root, p, out, size, err);
	if (strstr(p, "..") || strchr(p, ':'))
		return rt_err_set(err, EINVAL, "cgroupsPath \"%s\": not a cgroupfs path", p);
	while (*p == '/')
		p++;
	n = snprintf(out, size, "%s/%s", root, p);
	if (n < 0 || (size_t)n >= size)
		return rt_err_set(err, ENAMETOOLONG, "cgroupsPath \"%s\": too long", cgroups_path);
	while (n > (int)strlen(root) + 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

int rt_cgroup_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	int fd, r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = util_write_full(fd, val, strlen(val));
	close(fd);
	return r;
}

/* mkdir -p, enabling the controllers in each parent on the way down. A parent
 * that cannot enable them (processes in it, a delegated subtree) only costs
 * the limits, so that is a note in the log, not an error. */
static int make_dirs(const char *dir, struct rt_err *err)
{
	static const char *const controllers[] = { "+cpu", "+memory", "+pids" };
	char path[PATH_MAX], *p;
	size_t root_len = strlen(RT_CGROUP_ROOT);

	if (strlen(dir) >= sizeof(path))
		return rt_err_set(err, ENAMETOOLONG, "cgroup %s: too long", dir);
	strcpy(path, dir);
	p = strncmp(path, RT_CGROUP_ROOT "/", root_len + 1) ? path + 1 : path + root_len + 1;
	for (;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return rt_err_sys(err, errno, "create cgroup %s", path);
		if (saved == '\0')
			return 0;
		for (size_t i = 0; i < ARRAY_SIZE(controllers); i++)
			if (rt_cgroup_write(path, "cgroup.subtree_control", controllers[i]) < 0)
				rt_log_debug("cgroup %s: cannot enable %s for children", path,
					     controllers[i]);
		*p = saved;
	}
}

/* A path under the real root on a host without a v2 root: the v1 code. */
static bool use_v1(const char *dir)
{
	size_t rl = strlen(RT_CGROUP_ROOT);

	return !strncmp(dir, RT_CGROUP_ROOT "/", rl + 1) && rt_cgroup_v1(RT_CGROUP_ROOT);
}

int rt_cgroup_apply(const char *dir, const struct oci_resources *res, struct rt_err *err)
{
	struct proto_arena a = { 0 };
	struct proto_kv *kv;
	uint32_t n;
	int r;

	if (use_v1(dir))
		return rt_cgroup_v1_apply(RT_CGROUP_ROOT, dir, res, err);
	r = rt_resources_cgroup(res, &a, &kv, &n, err);
	for (uint32_t i = 0; r == 0 && i < n; i++) {
		/* The VM's RAM is its memory limit (a VM cannot give pages back on
		 * demand), and the VMM's own threads must not count against the
		 * container's pids: only CPU applies on the host. */
		if (strncmp(kv[i].key, "cpu.", 4))
			continue;
		r = rt_cgroup_write(dir, kv[i].key, kv[i].value);
		if (r < 0)
			r = rt_err_sys(err, r, "cgroup %s: write %s=%s", dir, kv[i].key, kv[i].value);
	}
	if (r == 0 && res->cpu_cpus && res->cpu_cpus[0] &&
	    (r = rt_cgroup_write(dir, "cpuset.cpus", res->cpu_cpus)) < 0)
		r = rt_err_sys(err, r, "cgroup %s: cpuset.cpus=%s", dir, res->cpu_cpus);
	if (r == 0 && res->cpu_mems && res->cpu_mems[0] &&
	    (r = rt_cgroup_write(dir, "cpuset.mems", res->cpu_mems)) < 0)
		r = rt_err_sys(err, r, "cgroup %s: cpuset.mems=%s", dir, res->cpu_mems);
	proto_arena_fini(&a);
	return r;
}

int rt_cgroup_create(const char *dir, const struct oci_resources *res, struct rt_err *err)
{
	if (use_v1(dir)) {
		if (rt_cgroup_v1_create(RT_CGROUP_ROOT, dir, err) < 0)
			return -EINVAL;
		return rt_cgroup_v1_apply(RT_CGROUP_ROOT, dir, res, err);
	}
	if (make_dirs(dir, err) < 0)
		return -EINVAL;
	if (res->cpu_cpus || res->cpu_mems)
		rt_cgroup_write(dir, "../cgroup.subtree_control", "+cpuset");
	return rt_cgroup_apply(dir, res, err);
}

int rt_cgroup_join(const char *dir)
{
	if (use_v1(dir))
		return rt_cgroup_v1_join(RT_CGROUP_ROOT, dir);
	return rt_cgroup_write(dir, "cgroup.procs", "0");
}

/* cgroup.events says "populated 0" once the last process is gone. */
static bool populated(const char *dir)
{
	char path[PATH_MAX], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = util_read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return !strstr(buf, "populated 0");
}

/* Kernels before 5.14 have no cgroup.kill: signal the members one by one. */
void rt_cgroup_kill_members(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		if (pid > 0)
			kill(pid, SIGKILL);
	fclose(f);
}

int rt_cgroup_destroy(const char *dir, struct rt_err *err)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	if (dir && dir[0] && use_v1(dir))
		return rt_cgroup_v1_destroy(RT_CGROUP_ROOT, dir, err);
	if (!dir || !dir[0] || access(dir, F_OK) < 0)
		return 0;
	for (int i = 0; i < 500 && populated(dir); i++) {
		if (i % 50 == 0 && rt_cgroup_write(dir, "cgroup.kill", "1") < 0)
			rt_cgroup_kill_members(dir);
		nanosleep(&tick, NULL);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return rt_err_sys(err, errno, "remove cgroup %s", dir);
	return 0;
}
