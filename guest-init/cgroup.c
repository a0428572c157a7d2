/* The container's cgroup (v2) inside the guest: created under the agent's
 * cgroup root, the controllers its files need enabled, the host's translation
 * of linux.resources written as given, and memory.events watched for OOM kills. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

int gi_write_at(int dir, const char *file, const char *val)
{
	autoclose int fd = openat(dir, file, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return util_write_full(fd, val, strlen(val));
}

/* "memory.max" needs "+memory" in the parent's cgroup.subtree_control. */
static int gi_cgroup_enable(int rootfd, const char *file)
{
	char ctl[PROTO_MAX_NAME + 2] = "+";
	size_t n = strcspn(file, ".");

	if (n >= sizeof(ctl) - 1 || !strncmp(file, "cgroup", n))
		return 0;
	memcpy(ctl + 1, file, n);
	ctl[n + 1] = 0;
	return gi_write_at(rootfd, "cgroup.subtree_control", ctl);
}

/* A file of the container's cgroup itself: no paths, and none of the cgroup.*
 * files (cgroup.procs would move processes in or out). */
static bool gi_cgroup_name_ok(const char *k)
{
	return k[0] && k[0] != '.' && !strchr(k, '/') && strncmp(k, "cgroup.", 7);
}

int gi_cgroup_create(const char *root, const char *name, const struct proto_spec *s, int *fd,
		     int *procs_fd, struct gi_err *e)
{
	autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int cg = -1, ret = 0;

	*fd = *procs_fd = -1;
	if (rootfd < 0)
		return gi_failerr(e, -errno, "cgroup root %s", root);
	/* The memory controller too, for OOM events even without a limit. */
	gi_cgroup_enable(rootfd, "memory.events");
	for (uint32_t i = 0; i < s->n_cgroup; i++) {
		const char *k = s->cgroup[i].key;

		if (!gi_cgroup_name_ok(k))
			return gi_fail(e, -EINVAL, "cgroup file %s: invalid name", k);
		ret = gi_cgroup_enable(rootfd, k);
		if (ret)
			return gi_failerr(e, ret, "cgroup controller for %s", k);
	}
	if (mkdirat(rootfd, name, 0755) && errno != EEXIST)
		return gi_failerr(e, -errno, "cgroup %s/%s", root, name);
	cg = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return gi_failerr(e, -errno, "cgroup %s/%s", root, name);
	for (uint32_t i = 0; !ret && i < s->n_cgroup; i++)
		if ((ret = gi_write_at(cg, s->cgroup[i].key, s->cgroup[i].value)))
			gi_failerr(e, ret, "cgroup %s=%s", s->cgroup[i].key, s->cgroup[i].value);
	if (!ret && (*procs_fd = openat(cg, "cgroup.procs", O_WRONLY | O_CLOEXEC)) < 0)
		ret = gi_failerr(e, -errno, "cgroup %s/%s/cgroup.procs", root, name);
	if (ret) {
		close(cg);
		return ret;
	}
	*fd = cg;
	return 0;
}

int gi_cgroup_update(const char *root, int cg, const struct proto_kv *kv, uint32_t n,
		     struct gi_err *e)
{
	autoclose int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ret;

	if (rootfd < 0)
		return gi_failerr(e, -errno, "cgroup root %s", root);
	for (uint32_t i = 0; i < n; i++)
		if (!gi_cgroup_name_ok(kv[i].key))
			return gi_fail(e, -EINVAL, "cgroup file %s: invalid name", kv[i].key);
	for (uint32_t i = 0; i < n; i++) {
		/* A controller the create did not need may be new (pids.max). */
		ret = gi_cgroup_enable(rootfd, kv[i].key);
		if (ret)
			return gi_failerr(e, ret, "cgroup controller for %s", kv[i].key);
		ret = gi_write_at(cg, kv[i].key, kv[i].value);
		if (ret)
			return gi_failerr(e, ret, "cgroup %s=%s", kv[i].key, kv[i].value);
	}
	return 0;
}

int gi_cgroup_join(int procs_fd)
{
	/* "0" is the writer itself. */
	return procs_fd < 0 ? 0 : util_write_full(procs_fd, "0", 1);
}

int gi_cgroup_oom_watch(int cgfd, int *ifd)
{
	char path[64];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/memory.events", cgfd);
	if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	*ifd = fd;
	return 0;
}

int gi_cgroup_oom_count(int cgfd, uint64_t *count)
{
	autoclose int fd = openat(cgfd, "memory.events", O_RDONLY | O_CLOEXEC);
	char buf[512];
	const char *p;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = util_read_full(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	p = strstr(buf, "oom_kill ");
	*count = p ? strtoull(p + 9, NULL, 10) : 0;
	return 0;
}
