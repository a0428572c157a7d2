/* The container's host cgroup on a cgroup v1 (or hybrid) host: one directory per
 * mounted hierarchy, /sys/fs/cgroup/<hierarchy>/<path>, instead of v2's single one.
 * The state keeps the v2-style path; the relative part after the root is the same
 * in every hierarchy. What the host applies is the same as on v2: CPU only (quota,
 * period, shares, cpuset), since the VM's RAM is its memory limit. */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/logging.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The hierarchies a v1 host may mount under the root, by directory name. Aliases
 * (cpu -> cpu,cpuacct) are symlinks and are skipped where that matters; joining
 * twice is harmless. "unified" is a hybrid host's v2 tree. */
static const char *const v1_hierarchies[] = {
	"cpu,cpuacct", "cpu",      "cpuacct", "cpuset", "memory",  "pids",
	"blkio",       "devices",  "freezer", "net_cls,net_prio",  "net_cls",
	"net_prio",    "perf_event", "hugetlb", "rdma",  "misc",    "systemd",
	"unified",
};

bool rt_cgroup_v1(const char *root)
{
	struct statfs sf;

	return statfs(root, &sf) == 0 && (unsigned long)sf.f_type != CGROUP2_SUPER_MAGIC;
}

/* dir is "<root>/<rel>": the directory of the same cgroup in hierarchy h. */
static int v1_path(const char *root, const char *dir, const char *h, char *out, size_t size)
{
	size_t rl = strlen(root);
	int n;

	if (strncmp(dir, root, rl) || dir[rl] != '/')
		return -EINVAL;
	n = snprintf(out, size, "%s/%s%s", root, h, dir + rl);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* A real hierarchy (not an alias symlink, not a missing one). */
static bool v1_mounted(const char *root, const char *h)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, h);
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", root, h);
	return access(path, F_OK) == 0;
}

/* A new cpuset cgroup starts with no CPUs and no memory nodes, and refuses
 * members until given some: copy the parent's down. */
static void v1_cpuset_inherit(const char *path)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[PATH_MAX], buf[4096];

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		ssize_t n;
		int fd;

		if (snprintf(parent, sizeof(parent), "%s/../%s", path, files[i]) >= (int)sizeof(parent))
			return;
		fd = open(parent, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = util_read_full(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		(void)rt_cgroup_write(path, files[i], buf);
	}
}

static int v1_mkdirs(const char *base, const char *path, bool cpuset, struct rt_err *err)
{
	char p[PATH_MAX];
	size_t bl = strlen(base);

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + bl + 1;; s++) {
		char saved = *s;

		if (saved != '/' && saved != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == 0) {
			if (cpuset)
				v1_cpuset_inherit(p);
		} else if (errno != EEXIST) {
			return rt_err_sys(err, errno, "create cgroup %s", p);
		}
		if (saved == '\0')
			return 0;
		*s = saved;
	}
}

int rt_cgroup_v1_create(const char *root, const char *dir, struct rt_err *err)
{
	char path[PATH_MAX], base[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(v1_hierarchies); i++) {
		const char *h = v1_hierarchies[i];

		if (!v1_mounted(root, h))
			continue;
		if (v1_path(root, dir, h, path, sizeof(path)) < 0)
			return rt_err_set(err, ENAMETOOLONG, "cgroup %s: path too long", dir);
		snprintf(base, sizeof(base), "%s/%s", root, h);
		if (v1_mkdirs(base, path, !strcmp(h, "cpuset"), err) < 0)
			return -EINVAL;
	}
	return 0;
}

int rt_cgroup_v1_apply(const char *root, const char *dir, const struct oci_resources *res,
		       struct rt_err *err)
{
	char cpu[PATH_MAX], cpuset[PATH_MAX], val[64];
	int r = 0;

	if (v1_path(root, dir, "cpu", cpu, sizeof(cpu)) < 0 ||
	    v1_path(root, dir, "cpuset", cpuset, sizeof(cpuset)) < 0)
		return rt_err_set(err, ENAMETOOLONG, "cgroup %s: path too long", dir);
	if (res->has_cpu_period && res->cpu_period) {
		snprintf(val, sizeof(val), "%" PRIu64, res->cpu_period);
		if ((r = rt_cgroup_write(cpu, "cpu.cfs_period_us", val)) < 0)
			return rt_err_sys(err, r, "cgroup %s: cpu.cfs_period_us=%s", cpu, val);
	}
	if (res->has_cpu_quota && res->cpu_quota) {
		snprintf(val, sizeof(val), "%" PRId64, res->cpu_quota > 0 ? res->cpu_quota : -1);
		if ((r = rt_cgroup_write(cpu, "cpu.cfs_quota_us", val)) < 0)
			return rt_err_sys(err, r, "cgroup %s: cpu.cfs_quota_us=%s", cpu, val);
	}
	if (res->has_cpu_shares && res->cpu_shares) {
		snprintf(val, sizeof(val), "%" PRIu64, res->cpu_shares);
		if ((r = rt_cgroup_write(cpu, "cpu.shares", val)) < 0)
			return rt_err_sys(err, r, "cgroup %s: cpu.shares=%s", cpu, val);
	}
	if (res->cpu_cpus && res->cpu_cpus[0] &&
	    (r = rt_cgroup_write(cpuset, "cpuset.cpus", res->cpu_cpus)) < 0)
		return rt_err_sys(err, r, "cgroup %s: cpuset.cpus=%s", cpuset, res->cpu_cpus);
	if (res->cpu_mems && res->cpu_mems[0] &&
	    (r = rt_cgroup_write(cpuset, "cpuset.mems", res->cpu_mems)) < 0)
		return rt_err_sys(err, r, "cgroup %s: cpuset.mems=%s", cpuset, res->cpu_mems);
	return 0;
}

/* For a forked child: open and write only; a hierarchy that is not there (or
 * not ours) is skipped. The first real failure is returned. */
int rt_cgroup_v1_join(const char *root, const char *dir)
{
	char path[PATH_MAX];
	int joined = 0, first = 0;

	for (size_t i = 0; i < ARRAY_SIZE(v1_hierarchies); i++) {
		int r;

		if (v1_path(root, dir, v1_hierarchies[i], path, sizeof(path)) < 0)
			return -ENAMETOOLONG;
		r = rt_cgroup_write(path, "cgroup.procs", "0");
		if (r == 0)
			joined++;
		else if (r != -ENOENT && !first)
			first = r;
	}
	return first ? first : joined ? 0 : -ENOENT;
}

static bool v1_populated(const char *path)
{
	char file[PATH_MAX], buf[64];
	ssize_t n;
	int fd;

	if (snprintf(file, sizeof(file), "%s/cgroup.procs", path) >= (int)sizeof(file))
		return false;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = util_read_full(fd, buf, sizeof(buf));
	close(fd);
	return n > 0;
}

int rt_cgroup_v1_destroy(const char *root, const char *dir, struct rt_err *err)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[PATH_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(v1_hierarchies); i++) {
		if (!v1_mounted(root, v1_hierarchies[i]) ||
		    v1_path(root, dir, v1_hierarchies[i], path, sizeof(path)) < 0 ||
		    access(path, F_OK) < 0)
			continue;
		for (int t = 0; t < 500 && v1_populated(path); t++) {
			if (t % 50 == 0)
				rt_cgroup_kill_members(path);
			nanosleep(&tick, NULL);
		}
		if (rmdir(path) < 0 && errno != ENOENT)
			return rt_err_sys(err, errno, "remove cgroup %s", path);
	}
	return 0;
}
