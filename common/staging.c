/* The staging directory of a container's share: building it from bind mounts and
 * taking it apart again (see staging.h for the layout and the rules). */
#include "common/staging.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STAGING_MAX_UNMOUNTS 64 /* stacked mounts on one path we are willing to peel */

static int staging_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Recursively read-only; the top mount only on kernels before 5.12. */
static int staging_make_ro(const char *path)
{
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

	if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof(a)) == 0)
		return 0;
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		return -errno;
	return 0;
}

int staging_create(struct staging *s, const char *state_dir)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->under_fd = -1;
	ret = staging_path(s->dir, sizeof(s->dir), state_dir, STAGING_SUBDIR);
	if (!ret)
		ret = staging_remove(state_dir);
	if (ret)
		return ret;
	if (mkdir(s->dir, 0755) < 0)
		return -errno;
	/* Entries are created through this fd, i.e. under the read-only bind. */
	s->under_fd = open(s->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->under_fd < 0)
		return -errno;
	if (mount(s->dir, s->dir, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, s->dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  NULL) < 0 ||
	    mount(NULL, s->dir, NULL, MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* An empty placeholder of src's kind to mount on: a directory, or a file for
 * anything else (a bind mount of a non-directory needs a non-directory). */
static int staging_placeholder(const struct staging *s, const char *name, const struct stat *st)
{
	int fd;

	if (S_ISDIR(st->st_mode))
		return mkdirat(s->under_fd, name, 0755) < 0 ? -errno : 0;
	fd = openat(s->under_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int staging_bind(struct staging *s, const char *src, bool ro, const char *name)
{
	char dst[PATH_MAX];
	struct stat st;
	int ret;

	if (s->under_fd < 0)
		return -EBADF;
	if (stat(src, &st) < 0)
		return -errno;
	ret = staging_path(dst, sizeof(dst), s->dir, name);
	if (!ret)
		ret = staging_placeholder(s, name, &st);
	if (ret)
		return ret;
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return ro ? staging_make_ro(dst) : 0;
}

int staging_add(struct staging *s, const char *src, bool ro, char *name, size_t len)
{
	char n[STAGING_NAME_MAX];
	int ret;

	snprintf(n, sizeof(n), "m%u", s->next);
	if (strlen(n) >= len)
		return -ENAMETOOLONG;
	ret = staging_bind(s, src, ro, n);
	if (ret)
		return ret;
	s->next++;
	memcpy(name, n, strlen(n) + 1);
	return 0;
}

int staging_add_rootfs(struct staging *s, const char *rootfs, bool ro)
{
	return staging_bind(s, rootfs, ro, STAGING_ROOTFS);
}

void staging_fini(struct staging *s)
{
	if (s->under_fd > 0)
		close(s->under_fd);
	s->under_fd = -1;
}

/* Peels every mount stacked on path. */
static void staging_unmount_all(const char *path)
{
	for (int i = 0; i < STAGING_MAX_UNMOUNTS; i++) {
		if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return;
	}
}

/* Removes one entry if it is what we left: an empty directory or empty file. */
static int staging_remove_entry(int dfd, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (staging_path(path, sizeof(path), dir, name) == 0)
		staging_unmount_all(path);
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
			return 0;
		return errno == ENOTEMPTY || errno == EEXIST ? -EBUSY : -errno;
	}
	if (!S_ISREG(st.st_mode) || st.st_size != 0)
		return -EBUSY;
	return unlinkat(dfd, name, 0) == 0 ? 0 : (errno == EBUSY ? -EBUSY : -errno);
}

int staging_remove(const char *state_dir)
{
	char dir[PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int ret = staging_path(dir, sizeof(dir), state_dir, STAGING_SUBDIR);

	if (ret)
		return ret;
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* The share root's bind and, lazily, everything mounted beneath it. */
	staging_unmount_all(dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int r = staging_remove_entry(dirfd(d), dir, e->d_name);

		if (r && !ret)
			ret = r;
	}
	closedir(d);
	if (rmdir(dir) < 0 && !ret)
		ret = errno == ENOTEMPTY || errno == EEXIST ? -EBUSY : -errno;
	return ret;
}
