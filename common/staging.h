/* A container's one virtio-fs share, in the manner of Kata: a staging directory
 * under the container's state directory, STATE/share, into which the rootfs and
 * every bind-mount source (directories and single files alike, such as the
 * /etc/hosts, /etc/resolv.conf and /etc/hostname podman prepares) are bind-mounted
 * on the host. The VMM shares STATE/share once; the guest mounts it once and
 * bind-mounts each entry where the container wants it:
 *
 *   host:  STATE/share/rootfs  <- bundle rootfs          guest: SHARE/rootfs -> /
 *          STATE/share/m0      <- /data (a volume)              SHARE/m0 -> /data
 *          STATE/share/m1      <- .../hosts (a file)            SHARE/m1 -> /etc/hosts
 *
 * The share root is a read-only, private bind mount of itself: the guest cannot
 * create anything in it (so teardown only ever meets our own empty mount points),
 * mounts made in it do not propagate elsewhere, and one lazy unmount removes them
 * all. Entries keep their own mode: read-write unless asked for read-only, which is
 * applied recursively. Everything is mounted in the caller's mount namespace, so
 * create the share before starting the VMM (and so virtiofsd) that serves it.
 *
 * Needs CAP_SYS_ADMIN. Functions return 0 or -errno. */
#ifndef RUNVM_COMMON_STAGING_H
#define RUNVM_COMMON_STAGING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define STAGING_SUBDIR "share"
#define STAGING_ROOTFS "rootfs"
#define STAGING_NAME_MAX 16

struct staging {
	char dir[PATH_MAX];        /* STATE/share */
	int under_fd;              /* O_PATH to the directory under the read-only bind */
	unsigned next;             /* number for the next generated name */
};

/* Creates and mounts STATE/share (first removing what an earlier, interrupted run
 * may have left there). */
int staging_create(struct staging *s, const char *state_dir);

/* Bind-mounts src (a directory or any non-directory) at STATE/share/NAME,
 * recursively, read-only if ro; NAME ("m0", "m1", ...) goes to name. */
int staging_add(struct staging *s, const char *src, bool ro, char *name, size_t len);

/* Same, under the fixed name "rootfs". */
int staging_add_rootfs(struct staging *s, const char *rootfs, bool ro);

/* Closes what the builder holds; the mounts stay. Safe on a zeroed or failed s. */
void staging_fini(struct staging *s);

/* Unmounts everything under STATE/share and removes it. Idempotent, and safe on
 * half-built state: it only unmounts, rmdirs empty directories and unlinks empty
 * regular files, never deletes recursively. Something still mounted elsewhere (a
 * mount namespace that is still alive) or not ours is left in place: -EBUSY. */
int staging_remove(const char *state_dir);

#endif
