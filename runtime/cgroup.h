/* The container's host cgroup (v2, or v1/hybrid: one directory per hierarchy,
 * see cgroup_v1.c): the VMM and the exec proxies run in it, so
 * callers that read /proc/PID/cgroup find the container's accounting there. Made
 * from linux.cgroupsPath: a cgroupfs path under /sys/fs/cgroup, or systemd's
 * "slice:prefix:name" (with --systemd-cgroup) as
 * /sys/fs/cgroup/<slice path>/<prefix>-<name>.scope, created directly. */
#ifndef RUNVM_RUNTIME_CGROUP_H
#define RUNVM_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "oci/config.h"
#include "runtime/rt.h"

#define RT_CGROUP_ROOT "/sys/fs/cgroup"

/* The directory for cgroups_path under root (RT_CGROUP_ROOT; tests give another).
 * *out is "" when there is no cgroup to make (no path, or --cgroup-manager
 * disabled). */
int rt_cgroup_dir(const char *root, enum rt_cgroup_manager m, const char *cgroups_path,
		  char *out, size_t size, struct rt_err *err);

/* systemd's slice name to its path: "a-b.slice" -> "a.slice/a-b.slice",
 * "-.slice" or "" -> "". */
int rt_cgroup_slice_path(const char *slice, char *out, size_t size, struct rt_err *err);

/* Makes dir (and its parents, enabling cpu, memory and pids for the children on
 * the way) and writes what the host can apply of res: cpu.max, cpu.weight and
 * cpuset.cpus/mems throttle the vCPU threads. */
int rt_cgroup_create(const char *dir, const struct oci_resources *res, struct rt_err *err);

/* Moves the calling process into dir: async-signal-safe, for a forked child. 0 or
 * -errno. */
int rt_cgroup_join(const char *dir);

/* Applies res to an existing dir (update). */
int rt_cgroup_apply(const char *dir, const struct oci_resources *res, struct rt_err *err);

/* Kills whatever is left in dir, waits for it to empty and removes it. */
int rt_cgroup_destroy(const char *dir, struct rt_err *err);

/* Writes val to dir/file: 0 or -errno. Only open, write and snprintf: used in
 * forked children too. */
int rt_cgroup_write(const char *dir, const char *file, const char *val);

/* SIGKILLs every process listed in dir/cgroup.procs (no cgroup.kill: v1, or
 * kernels before 5.14). */
void rt_cgroup_kill_members(const char *dir);

/* cgroup v1 (or hybrid) under root: the root is not a cgroup2 mount. The
 * functions below are the v1 halves of the ones above; dir is "<root>/<path>". */
bool rt_cgroup_v1(const char *root);
int rt_cgroup_v1_create(const char *root, const char *dir, struct rt_err *err);
int rt_cgroup_v1_apply(const char *root, const char *dir, const struct oci_resources *res,
		       struct rt_err *err);
int rt_cgroup_v1_join(const char *root, const char *dir);
int rt_cgroup_v1_destroy(const char *root, const char *dir, struct rt_err *err);

#endif
