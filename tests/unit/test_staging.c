/* The container share's staging directory (common/staging.c), on the real kernel:
 * bind mounts of a rootfs, directories and single files, read-only entries
 * (recursively), liveness both ways, and teardown that is idempotent, copes with
 * half-built state and never deletes anything of the sources. Runs in a private
 * mount namespace of its own; skips unless root. */
#include "common/staging.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[64], state[96], rootfs[96], vol[96], hosts[96];

static int put(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s%s%s", dir, name ? "/" : "", name ? name : "");
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -EIO;

	close(fd);
	return ret;
}

/* Contents of a/b (a alone if b is NULL; first 63 bytes), "" if unreadable. */
static const char *get(const char *a, const char *b)
{
	static char buf[64];
	char p[PATH_MAX];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s%s%s", a, b ? "/" : "", b ? b : "");
	buf[0] = 0;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

static int try_create(const char *a, const char *b)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "%s%s%s", a, b ? "/" : "", b ? b : "");
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(p);
	return 0;
}

static int setup(void)
{
	char sub[128];

	if (geteuid() != 0)
		return -EPERM;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	snprintf(base, sizeof(base), "/tmp/runvm-staging.XXXXXX");
	if (!mkdtemp(base))
		return -errno;
	snprintf(state, sizeof(state), "%s/state", base);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", base);
	snprintf(vol, sizeof(vol), "%s/vol", base);
	snprintf(hosts, sizeof(hosts), "%s/hosts", base);
	snprintf(sub, sizeof(sub), "%s/sub", vol);
	mkdir(state, 0700);
	mkdir(rootfs, 0755);
	mkdir(vol, 0755);
	mkdir(sub, 0755);
	put(rootfs, "etc-file", "root");
	put(vol, "v", "volume");
	put(hosts, NULL, "127.0.0.1 localhost\n");
	/* A mount inside a bind source: recursive binds must carry it. */
	if (mount("tmpfs", sub, "tmpfs", 0, "size=1m") < 0)
		return -errno;
	return put(sub, "inner", "nested");
}

static void test_build(void)
{
	struct staging s;
	char name[STAGING_NAME_MAX], name2[STAGING_NAME_MAX];

	is_int(staging_create(&s, state), 0, "staging created");
	is_int(try_create(s.dir, "junk"), -EROFS,
	       "the share root is read-only: nothing can be created in it");
	is_int(staging_add_rootfs(&s, rootfs, false), 0, "rootfs bound");
	is_str(get(s.dir, "rootfs/etc-file"), "root", "rootfs visible in the share");
	ok(put(s.dir, "rootfs/new", "from-share") == 0 && !strcmp(get(rootfs, "new"), "from-share"),
	   "a write through the share is in the source at once");
	put(rootfs, "new", "from-host");
	is_str(get(s.dir, "rootfs/new"), "from-host", "and the other way round");

	is_int(staging_add(&s, vol, true, name, sizeof(name)), 0, "read-only volume bound");
	is_str(name, "m0", "first generated name m0");
	is_str(get(s.dir, "m0/v"), "volume", "volume visible");
	is_int(try_create(s.dir, "m0/x"), -EROFS, "read-only entry refuses writes");
	is_str(get(s.dir, "m0/sub/inner"), "nested", "a mount inside the source is carried");
	is_int(try_create(s.dir, "m0/sub/x"), -EROFS, "and is read-only too (recursive)");

	is_int(staging_add(&s, hosts, false, name2, sizeof(name2)), 0, "single file bound");
	is_str(name2, "m1", "second name m1");
	is_str(get(s.dir, "m1"), "127.0.0.1 localhost\n", "file content visible");
	put(s.dir, "m1", "10.0.0.1 h\n");
	is_str(get(hosts, NULL), "10.0.0.1 h\n", "writes to the file entry reach the source");

	is_int(staging_add(&s, "/nonexistent/source", false, name, sizeof(name)), -ENOENT,
	       "a missing source: -ENOENT");
	is_int(staging_add(&s, vol, false, name, 2), -ENAMETOOLONG, "name buffer too small");
	staging_fini(&s);

	is_int(staging_remove(state), 0, "teardown");
	ok(access(s.dir, F_OK) < 0 && errno == ENOENT, "nothing of the staging is left");
	is_str(get(rootfs, "etc-file"), "root", "rootfs source untouched");
	is_str(get(vol, "v"), "volume", "volume source untouched");
	is_str(get(vol, "sub/inner"), "nested", "the nested mount in the source is still there");
	is_str(get(hosts, NULL), "10.0.0.1 h\n", "file source untouched");
	is_int(staging_remove(state), 0, "teardown again: still 0 (idempotent)");
}

static void test_half_built(void)
{
	char dir[128], m0[160], m1[160];
	struct staging s;

	/* As if a run died after mounting entries but before the root bind. */
	snprintf(dir, sizeof(dir), "%s/%s", state, STAGING_SUBDIR);
	snprintf(m0, sizeof(m0), "%s/m0", dir);
	snprintf(m1, sizeof(m1), "%s/m1", dir);
	mkdir(dir, 0755);
	mkdir(m0, 0755);
	put(m1, NULL, "");
	ok(mount(vol, m0, NULL, MS_BIND | MS_REC, NULL) == 0 && mount(hosts, m1, NULL, MS_BIND, NULL) == 0,
	   "half-built staging prepared");
	is_int(staging_remove(state), 0, "half-built staging removed");
	ok(access(dir, F_OK) < 0, "gone");
	is_str(get(vol, "v"), "volume", "sources untouched");

	/* A create over a live leftover clears it first. */
	staging_create(&s, state);
	staging_add_rootfs(&s, rootfs, false);
	staging_fini(&s);
	is_int(staging_create(&s, state), 0, "create over a leftover staging");
	is_int(staging_add_rootfs(&s, rootfs, true), 0, "and build it again");
	staging_fini(&s);
	is_int(staging_remove(state), 0, "removed");
}

static void test_not_ours(void)
{
	char dir[128], odd[160];

	/* Something that is neither a mount nor an empty placeholder is never deleted. */
	snprintf(dir, sizeof(dir), "%s/%s", state, STAGING_SUBDIR);
	snprintf(odd, sizeof(odd), "%s/data", dir);
	mkdir(dir, 0755);
	mkdir(odd, 0755);
	put(odd, "precious", "keep me");
	is_int(staging_remove(state), -EBUSY, "a non-empty directory is left: -EBUSY");
	is_str(get(odd, "precious"), "keep me", "and its content kept");
	snprintf(odd + strlen(odd), sizeof(odd) - strlen(odd), "/precious");
	unlink(odd);
	*strrchr(odd, '/') = 0;
	rmdir(odd);
	put(dir, "file", "x");
	is_int(staging_remove(state), -EBUSY, "a non-empty file is left too");
	is_str(get(dir, "file"), "x", "kept");
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	remove(path);
	return 0; /* best effort: go on with the rest */
}

/* Our temporary tree: it holds no mounts any more (FTW_MOUNT stays on this fs anyway). */
static void cleanup(void)
{
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/sub", vol);
	umount2(sub, MNT_DETACH);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int main(void)
{
	int ret = setup();

	if (ret) {
		printf("# setup: %s\n", strerror(-ret));
		skip("needs root and a private mount namespace (unshare -m)");
		return tap_done();
	}
	test_build();
	test_half_built();
	test_not_ours();
	cleanup();
	return tap_done();
}
