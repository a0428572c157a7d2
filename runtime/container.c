/* Container directories: one per ID under --root, locked with flock on the
 * directory itself, holding state.json (written atomically). */
#include "runtime/container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

int rt_err_not_exist(struct rt_err *err, const char *id)
{
	return rt_err_set(err, ENOENT, "container \"%s\" does not exist", id);
}

int rt_id_validate(const char *id, struct rt_err *err)
{
	size_t len = strlen(id);

	if (!len || len > RT_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		goto bad;
	for (const char *p = id; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || c == '.'))
			goto bad;
	}
	return 0;
bad:
	return rt_err_set(err, EINVAL, "invalid container ID format: \"%s\"", id);
}

static int container_path(const char *root, const char *id, struct rt_container *c,
			  struct rt_err *err)
{
	int n;

	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
	if (rt_id_validate(id, err) < 0)
		return -EINVAL;
	strcpy(c->id, id);
	n = snprintf(c->dir, sizeof(c->dir), "%s/%s", root, id);
	if (n < 0 || (size_t)n >= sizeof(c->dir))
		return rt_err_set(err, ENAMETOOLONG, "state directory %s/%s: path too long", root,
				  id);
	return 0;
}

static int container_lock(struct rt_container *c, enum rt_lock_mode mode, struct rt_err *err)
{
	struct stat st;
	int r;

	if (mode == RT_LOCK_NONE)
		return 0;
	do
		r = flock(c->dirfd, mode == RT_LOCK_SHARED ? LOCK_SH : LOCK_EX);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return rt_err_sys(err, errno, "lock %s", c->dir);
	/* Deleted while we waited for the lock: the directory is unlinked. */
	if (fstat(c->dirfd, &st) < 0 || st.st_nlink == 0)
		return rt_err_not_exist(err, c->id);
	return 0;
}

static void container_owner(struct rt_container *c)
{
	struct passwd *pw;
	struct stat st;
	char buf[32];

	if (c->st.owner && c->st.owner[0])
		return;
	if (fstat(c->dirfd, &st) < 0)
		return;
	pw = getpwuid(st.st_uid);
	snprintf(buf, sizeof(buf), "#%u", (unsigned)st.st_uid);
	free(c->st.owner);
	c->st.owner = strdup(pw ? pw->pw_name : buf);
}

int rt_container_open(const char *root, const char *id, enum rt_lock_mode mode,
		      struct rt_container *c, struct rt_err *err)
{
	int r;

	r = container_path(root, id, c, err);
	if (r < 0)
		return r;
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = errno;
		return r == ENOENT || r == ENOTDIR ? rt_err_not_exist(err, id)
						   : rt_err_sys(err, r, "open %s", c->dir);
	}
	r = container_lock(c, mode, err);
	if (r == 0)
		r = oci_state_load(c->dirfd, &c->st, err);
	/* A directory without state.json is a create that has not got that far. */
	if (r == -ENOENT)
		r = rt_err_not_exist(err, id);
	if (r < 0) {
		rt_container_close(c);
		return r;
	}
	container_owner(c);
	rt_container_refresh(c);
	return 0;
}

/* mkdir -p: callers (containerd's shim) name roots whose parents may not exist. */
static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) < 0 && errno != EEXIST ? -1 : 0;
}

int rt_container_new(const char *root, const char *id, struct rt_container *c, struct rt_err *err)
{
	int r;

	r = container_path(root, id, c, err);
	if (r < 0)
		return r;
	if (mkdir_p(root, 0711) < 0)
		return rt_err_sys(err, errno, "create root directory %s", root);
	if (mkdir(c->dir, 0711) < 0) {
		r = errno;
		return r == EEXIST
			   ? rt_err_set(err, EEXIST, "container with given ID already exists")
			   : rt_err_sys(err, r, "create %s", c->dir);
	}
	c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		r = rt_err_sys(err, errno, "open %s", c->dir);
		rmdir(c->dir);
		return r;
	}
	r = container_lock(c, RT_LOCK_EXCLUSIVE, err);
	if (r < 0) {
		rmdir(c->dir);
		rt_container_close(c);
	}
	return r;
}

int rt_container_save(struct rt_container *c, struct rt_err *err)
{
	return oci_state_save(c->dirfd, &c->st, err);
}

static bool is_mount_point(int parent, int dir)
{
	struct statx a, b;

	if (statx(parent, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) < 0 ||
	    statx(dir, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) < 0)
		return true; /* cannot tell: do not descend */
	if (!(a.stx_mask & STATX_MNT_ID) || !(b.stx_mask & STATX_MNT_ID))
		return a.stx_dev_major != b.stx_dev_major || a.stx_dev_minor != b.stx_dev_minor;
	return a.stx_mnt_id != b.stx_mnt_id;
}

/* The directory holds files, sockets and at most a level or two of helper
 * directories: a bounded recursion is enough. */
static int remove_tree_at(int dfd, int depth)
{
	DIR *d;
	struct dirent *de;
	int r = 0, fd;

	fd = dup(dfd);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0)
			continue;
		if ((errno == EISDIR || errno == EPERM) && depth < 8) {
			int sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			/* Never into another mount: a share the VM still had mounted
			 * holds the container's own files. */
			if (sub >= 0 && is_mount_point(dfd, sub)) {
				close(sub);
				sub = -1;
				if (!r)
					r = -EBUSY;
			}
			if (sub >= 0) {
				r = remove_tree_at(sub, depth + 1);
				close(sub);
			}
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && !r)
				r = -errno;
		} else if (errno != ENOENT && !r) {
			r = -errno;
		}
	}
	closedir(d);
	return r;
}

int rt_container_remove(struct rt_container *c, struct rt_err *err)
{
	int r = remove_tree_at(c->dirfd, 0);

	if (r < 0)
		return rt_err_sys(err, r, "remove %s", c->dir);
	if (rmdir(c->dir) < 0 && errno != ENOENT)
		return rt_err_sys(err, errno, "remove %s", c->dir);
	return 0;
}

void rt_container_unlock(struct rt_container *c)
{
	if (c->dirfd >= 0)
		flock(c->dirfd, LOCK_UN);
}

void rt_container_close(struct rt_container *c)
{
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	oci_state_fini(&c->st);
}

int rt_pid_start_time(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024], state;
	unsigned long long start;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = util_read_full(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	buf[n] = '\0';
	/* comm may contain spaces and parentheses: fields resume after the last ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu",
			 &state, &start) != 2)
		return -EIO;
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*out = start;
	return 0;
}

bool rt_pid_alive(pid_t pid, uint64_t start_time)
{
	uint64_t st;

	if (pid <= 0 || rt_pid_start_time(pid, &st) < 0)
		return false;
	return !start_time || st == start_time;
}

void rt_container_refresh(struct rt_container *c)
{
	if (c->st.status != OCI_STATUS_STOPPED && rt_pid_alive(c->st.pid, c->st.rv.vmm_start_time))
		return;
	c->st.status = OCI_STATUS_STOPPED;
	c->st.pid = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int rt_root_list(const char *root, struct oci_strv *ids, struct rt_err *err)
{
	struct dirent *de;
	DIR *d = opendir(root);

	memset(ids, 0, sizeof(*ids));
	if (!d)
		return errno == ENOENT ? 0 : rt_err_sys(err, errno, "open %s", root);
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (rt_id_validate(de->d_name, NULL) < 0)
			continue;
		if (oci_strv_push(ids, de->d_name) < 0) {
			closedir(d);
			oci_strv_fini(ids);
			return rt_err_set(err, ENOMEM, "out of memory");
		}
	}
	closedir(d);
	if (ids->n)
		qsort(ids->v, ids->n, sizeof(*ids->v), cmp_str);
	return 0;
}
