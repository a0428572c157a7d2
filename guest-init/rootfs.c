/* The container's root filesystem, set up in the child's own mount namespace in
 * runc's order: the shared root, config.json's mounts, /dev (default devices,
 * the spec's devices, symlinks), pivot_root; then (gi_rootfs_finish) the read-only
 * root, hostname and domainname, sysctl, maskedPaths and readonlyPaths.
 *
 * Paths inside the root are opened with openat2(RESOLVE_IN_ROOT), so that a
 * symlink in the image cannot send a mount outside the root, and mounts go
 * through /proc/self/fd/N of what was opened. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "common/util.h"
#include "guest-init/gi.h"

static int gi_openat2(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* Opens path (relative to rootfd as "/") as O_PATH, creating what is missing when
 * create is set: directories, and the last component as a file when want_file.
 * Each step is made inside the directory the previous step resolved. */
static int gi_open_in_root(int rootfd, const char *path, bool create, bool want_file, int *out)
{
	char prefix[PROTO_MAX_PATH + 1];
	size_t end = 0;
	int fd;

	if (strlen(path) > PROTO_MAX_PATH)
		return -ENAMETOOLONG;
	fd = gi_openat2(rootfd, "/", O_PATH | O_DIRECTORY);
	while (fd >= 0) {
		size_t start = end + strspn(path + end, "/");
		bool last;
		int flags, next, ret;

		if (!path[start])
			break;
		end = start + strcspn(path + start, "/");
		last = !path[end + strspn(path + end, "/")];
		flags = O_PATH | (last && want_file ? 0 : O_DIRECTORY);
		memcpy(prefix, path, end);
		prefix[end] = 0;
		next = gi_openat2(rootfd, prefix, flags);
		if (next == -ENOENT && create) {
			const char *name = prefix + start;

			if (last && want_file)
				ret = openat(fd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			else
				ret = mkdirat(fd, name, 0755);
			if (ret < 0 && errno != EEXIST)
				next = -errno;
			else
				next = gi_openat2(rootfd, prefix, flags);
			if (ret > 0)
				close(ret);
		}
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return fd;
	*out = fd;
	return 0;
}

static void gi_fdpath(char *buf, size_t size, int fd)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
}

/* Remount and propagation act on the new mount, so the path is opened again. */
static int gi_mount_after(int rootfd, const char *dst, const struct gi_mntopts *o, bool remount)
{
	autoclose int fd = -1;
	char p[64];
	int ret = gi_open_in_root(rootfd, dst, false, true, &fd);

	if (ret)
		return ret;
	gi_fdpath(p, sizeof(p), fd);
	if (remount && mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | (o->flags & ~MS_REMOUNT), NULL))
		return -errno;
	if (o->propagation && mount(NULL, p, NULL, o->propagation, NULL))
		return -errno;
	return 0;
}

static int gi_mount_one(int rootfd, const struct proto_mount *m, struct gi_err *e)
{
	const char *type = m->type;
	struct gi_mntopts o;
	autoclose int fd = -1;
	struct stat st;
	char p[64];
	int ret = gi_mount_options(&m->options, type, &o, e);

	if (ret)
		return ret;
	if (m->destination[0] != '/')
		return gi_fail(e, -EINVAL, "mount destination %s not absolute", m->destination);
	/* The guest kernel has cgroup v2 only, as runc mounts it on a v2 host. */
	if (!strcmp(type, "cgroup"))
		type = "cgroup2";
	if (o.bind && stat(m->source, &st))
		return gi_failerr(e, -errno, "bind mount source %s", m->source);
	ret = gi_open_in_root(rootfd, m->destination, true, o.bind && !S_ISDIR(st.st_mode), &fd);
	if (ret)
		return gi_failerr(e, ret, "mount destination %s", m->destination);
	gi_fdpath(p, sizeof(p), fd);
	if (o.bind)
		ret = mount(m->source, p, NULL, MS_BIND | (o.rec ? MS_REC : 0), NULL);
	else
		ret = mount(m->source, p, type, o.flags, o.data[0] ? o.data : NULL);
	if (ret)
		return gi_failerr(e, -errno, "mount %s on %s (type %s)", m->source, m->destination, type);
	/* A bind mount takes its flags (ro, nosuid...) only through a remount. */
	ret = gi_mount_after(rootfd, m->destination, &o, o.bind && (o.flags & ~MS_REMOUNT));
	if (ret)
		return gi_failerr(e, ret, "remount %s", m->destination);
	return 0;
}

static bool gi_spec_mounts(const struct proto_spec *s, const char *dst, const char *type)
{
	for (uint32_t i = 0; i < s->n_mounts; i++) {
		const struct proto_mount *m = &s->mounts[i];
		struct gi_mntopts o;

		if (strcmp(m->destination, dst) || gi_mount_options(&m->options, m->type, &o, NULL))
			continue;
		if (type ? !strcmp(m->type, type) : o.bind)
			return true;
	}
	return false;
}

static int gi_mknod_one(int rootfd, const struct proto_device *d, struct gi_err *e)
{
	const char *slash = strrchr(d->path, '/');
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	mode_t mode = d->flags & PROTO_DEV_MODE ? d->mode & 07777 : 0666;
	autoclose int dir = -1;
	int ret;

	if (d->path[0] != '/' || !slash || !slash[1])
		return gi_fail(e, -EINVAL, "device path %s not absolute", d->path);
	{
		char parent[PROTO_MAX_PATH + 1];

		memcpy(parent, d->path, (size_t)(slash - d->path));
		parent[slash - d->path] = 0;
		ret = gi_open_in_root(rootfd, parent[0] ? parent : "/", true, false, &dir);
	}
	if (ret)
		return gi_failerr(e, ret, "device %s", d->path);
	if (mknodat(dir, slash + 1, type | mode, makedev(d->major, d->minor)) && errno != EEXIST)
		return gi_failerr(e, -errno, "mknod %s", d->path);
	/* mknod is subject to the umask; the spec's mode is exact. */
	if (fchmodat(dir, slash + 1, mode, 0) ||
	    fchownat(dir, slash + 1, d->flags & PROTO_DEV_UID ? d->uid : 0,
		     d->flags & PROTO_DEV_GID ? d->gid : 0, AT_SYMLINK_NOFOLLOW))
		return gi_failerr(e, -errno, "device %s", d->path);
	return 0;
}

/* The devices every container has (runtime-spec "Default Devices"), then the
 * spec's, and the /dev symlinks; runc skips all of it when /dev is bound in. */
static int gi_devices(int rootfd, const struct proto_spec *s, struct gi_err *e)
{
	static const struct proto_device defaults[] = {
		{ "/dev/null", 'c', 1, 3, 0, 0, 0, 0 },    { "/dev/zero", 'c', 1, 5, 0, 0, 0, 0 },
		{ "/dev/full", 'c', 1, 7, 0, 0, 0, 0 },    { "/dev/random", 'c', 1, 8, 0, 0, 0, 0 },
		{ "/dev/urandom", 'c', 1, 9, 0, 0, 0, 0 }, { "/dev/tty", 'c', 5, 0, 0, 0, 0, 0 },
	};
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	autoclose int dev = -1;
	int ret = 0;

	if (gi_spec_mounts(s, "/dev", NULL))
		return 0;
	for (size_t i = 0; !ret && i < ARRAY_SIZE(defaults); i++)
		ret = gi_mknod_one(rootfd, &defaults[i], e);
	for (uint32_t i = 0; !ret && i < s->n_devices; i++)
		ret = gi_mknod_one(rootfd, &s->devices[i], e);
	if (!ret)
		ret = gi_open_in_root(rootfd, "/dev", true, false, &dev);
	for (size_t i = 0; !ret && i < ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) && errno != EEXIST)
			ret = gi_failerr(e, -errno, "symlink /dev/%s", links[i][1]);
	/* /dev/ptmx must be the container's own devpts instance's. */
	if (!ret && gi_spec_mounts(s, "/dev/pts", "devpts")) {
		unlinkat(dev, "ptmx", 0);
		if (symlinkat("pts/ptmx", dev, "ptmx"))
			ret = gi_failerr(e, -errno, "symlink /dev/ptmx");
	}
	return ret < 0 && !e->err ? gi_failerr(e, ret, "/dev") : ret;
}

static int gi_pivot(const char *root, struct gi_err *e)
{
	autoclose int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	autoclose int newroot = open(root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (oldroot < 0 || newroot < 0 || fchdir(newroot))
		return gi_failerr(e, -errno, "rootfs %s", root);
	/* pivot_root(".", ".") stacks the old root under the new; detaching it
	 * (after making sure nothing propagates back) leaves only the new. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (fchdir(oldroot) || mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) ||
		    umount2(".", MNT_DETACH) || chdir("/"))
			return gi_failerr(e, -errno, "detaching the old root");
		return 0;
	}
	if (errno != EINVAL)
		return gi_failerr(e, -errno, "pivot_root %s", root);
	/* An initramfs root cannot be pivoted away from (runc's --no-pivot case). */
	if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		return gi_failerr(e, -errno, "moving the root to %s", root);
	return 0;
}

int gi_rootfs_prepare(const struct proto_spec *s, struct gi_err *e)
{
	char root[PROTO_MAX_PATH + sizeof(PROTO_SHARE_DIR) + 2];
	autoclose int rootfd = -1;
	int ret = 0;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return gi_failerr(e, -errno, "making / private");
	if (s->root_tag[0]) {
		if ((mkdir("/run/runvm", 0700) && errno != EEXIST) ||
		    (mkdir(PROTO_SHARE_DIR, 0755) && errno != EEXIST) ||
		    mount(s->root_tag, PROTO_SHARE_DIR, "virtiofs", 0, NULL))
			return gi_failerr(e, -errno, "mount virtiofs %s", s->root_tag);
		snprintf(root, sizeof(root), "%s/%s", PROTO_SHARE_DIR, s->root_path);
	} else if (s->root_path[0] == '/') {
		snprintf(root, sizeof(root), "%s", s->root_path);
	} else {
		return gi_fail(e, -EINVAL, "root path %s not absolute", s->root_path);
	}
	/* pivot_root needs the new root to be a mount point. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL))
		return gi_failerr(e, -errno, "rootfs %s", root);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return gi_failerr(e, -errno, "rootfs %s", root);
	for (uint32_t i = 0; !ret && i < s->n_mounts; i++)
		ret = gi_mount_one(rootfd, &s->mounts[i], e);
	if (!ret)
		ret = gi_devices(rootfd, s, e);
	if (!ret)
		ret = gi_pivot(root, e);
	return ret;
}

static unsigned long gi_mount_flags(const char *path)
{
	static const struct {
		unsigned long st, ms;
	} map[] = { { ST_NOSUID, MS_NOSUID },   { ST_NODEV, MS_NODEV },
		    { ST_NOEXEC, MS_NOEXEC },   { ST_NOATIME, MS_NOATIME },
		    { ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME } };
	struct statvfs sv;
	unsigned long flags = 0;

	if (statvfs(path, &sv))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (sv.f_flag & map[i].st)
			flags |= map[i].ms;
	return flags;
}

static int gi_readonly(const char *path, bool bind_first)
{
	if (bind_first && mount(path, path, NULL, MS_BIND | MS_REC, NULL))
		return -errno;
	if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | gi_mount_flags(path), NULL))
		return -errno;
	return 0;
}

/* A file is covered with /dev/null, a directory with an empty read-only tmpfs. */
static int gi_mask(const char *path)
{
	if (!mount("/dev/null", path, NULL, MS_BIND, NULL) || errno == ENOENT)
		return 0;
	if (errno == ENOTDIR && !mount("tmpfs", path, "tmpfs", MS_RDONLY, NULL))
		return 0;
	return -errno;
}

static int gi_sysctl(const struct proto_kv *kv, struct gi_err *e)
{
	char path[PROTO_MAX_NAME + 16];
	size_t n;
	int ret;

	if (strstr(kv->key, "..") || strchr(kv->key, '/') || !kv->key[0])
		return gi_fail(e, -EINVAL, "sysctl %s: invalid name", kv->key);
	n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", kv->key);
	for (size_t i = sizeof("/proc/sys/") - 1; i < n; i++)
		if (path[i] == '.')
			path[i] = '/';
	ret = gi_write_at(AT_FDCWD, path, kv->value);
	return ret ? gi_failerr(e, ret, "sysctl %s", kv->key) : 0;
}

int gi_rootfs_finish(const struct proto_spec *s, struct gi_err *e)
{
	int ret = 0;

	if (s->flags & PROTO_SPEC_ROOT_RO && (ret = gi_readonly("/", false)))
		return gi_failerr(e, ret, "read-only root");
	if (s->hostname[0] && sethostname(s->hostname, strlen(s->hostname)))
		return gi_failerr(e, -errno, "sethostname %s", s->hostname);
	if (s->domainname[0] && setdomainname(s->domainname, strlen(s->domainname)))
		return gi_failerr(e, -errno, "setdomainname %s", s->domainname);
	for (uint32_t i = 0; !ret && i < s->n_sysctl; i++)
		ret = gi_sysctl(&s->sysctl[i], e);
	for (uint32_t i = 0; !ret && i < s->masked.n; i++)
		if ((ret = gi_mask(s->masked.v[i])))
			gi_failerr(e, ret, "masked path %s", s->masked.v[i]);
	for (uint32_t i = 0; !ret && i < s->readonly.n; i++)
		if ((ret = gi_readonly(s->readonly.v[i], true)) && ret != -ENOENT)
			gi_failerr(e, ret, "readonly path %s", s->readonly.v[i]);
		else
			ret = 0;
	return ret;
}
