/* Shares for virtio-fs: parsing --fs/--share, and running one virtiofsd per shared
 * directory as a supervised child of the VMM.
 *
 * Lifetime: virtiofsd is the first process of a PID namespace of its own, forked
 * from the main thread with PR_SET_PDEATHSIG(SIGKILL): when the VMM dies, even by
 * SIGKILL, the kernel kills it, and with it everything in its namespace (the C
 * virtiofsd forks a sandbox child of its own). The VMM watches its pidfd on the
 * event loop and reports its death (vfsd_watch). The vhost-user socket is an
 * anonymous listener handed over as --fd, already connected to by the VMM before
 * virtiofsd starts, so there is no socket path to race on or clean up.
 *
 * Both virtiofsd implementations work: the C one from QEMU <= 7.2 (Debian 12:
 * /usr/lib/qemu/virtiofsd) and the Rust one (/usr/libexec/virtiofsd); which one a
 * binary is, is read from its --help once.
 *
 * Sandbox: "namespace" (virtiofsd pivot_roots into the share) is preferred; where
 * pivot_root does not work (a root entered by switch_root, as in the test host) the
 * VMM falls back to "chroot". The choice is probed once per VMM and logged.
 * Read-only shares are enforced on the host: virtiofsd gets a mount namespace in
 * which the share is a recursively read-only bind mount, so guest writes fail with
 * EROFS whatever the guest mounts. */
#ifndef RUNVM_VMM_VIRTIOFSD_H
#define RUNVM_VMM_VIRTIOFSD_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm/ev.h"

enum vfsd_cache { VFSD_CACHE_NONE, VFSD_CACHE_AUTO, VFSD_CACHE_ALWAYS };
enum vfsd_sandbox { VFSD_SANDBOX_AUTO, VFSD_SANDBOX_NAMESPACE, VFSD_SANDBOX_CHROOT,
		    VFSD_SANDBOX_NONE };

/* One --fs or --share argument. Strings point into the argument (split in place). */
struct vfsd_share {
	const char *tag;
	const char *socket;          /* --fs TAG=SOCKET: a back-end already running */
	const char *dir;             /* --share TAG=DIR[,opts]: we run virtiofsd */
	bool ro;
	bool xattr;                  /* default on */
	enum vfsd_cache cache;       /* default none: host and guest stay coherent */
	enum vfsd_sandbox sandbox;
};

/* "TAG=SOCKET". 0 or -EINVAL (message logged). */
int vfsd_parse_fs(char *arg, struct vfsd_share *s);
/* "TAG=DIR[,ro][,cache=none|auto|always][,sandbox=auto|namespace|chroot|none]
 * [,xattr=on|off]"; options are taken from the end, so DIR may contain commas. */
int vfsd_parse_share(char *arg, struct vfsd_share *s);

/* The virtiofsd binary to use: `configured` if given, else the first of the usual
 * install paths, then $PATH. NULL if none is found. */
const char *vfsd_find(const char *configured);
/* "Rust" or "C": which implementation bin is (it runs `bin --help`). */
const char *vfsd_flavour_name(const char *bin);

struct vfsd;

/* Starts virtiofsd `bin` for s->dir. On success *sock is the connected vhost-user
 * socket (the caller owns it). Errors are logged. Main thread only. */
int vfsd_spawn(struct vfsd **out, const char *bin, const struct vfsd_share *s, bool debug,
	       int *sock);

/* Watches for virtiofsd's death on the loop: `died` runs (loop thread) after the
 * exit was reaped and logged. */
int vfsd_watch(struct vfsd *p, struct ev_loop *loop, void (*died)(void *arg), void *arg);

pid_t vfsd_pid(const struct vfsd *p);

/* If virtiofsd has died (waiting up to timeout_ms for it to finish dying), reaps it
 * and logs how, once. For callers that noticed its socket close first. */
bool vfsd_check(struct vfsd *p, int timeout_ms);

/* Stops watching; waits up to timeout_ms for virtiofsd to leave by itself (it does
 * once its socket is closed), then kills and reaps it. NULL is fine. */
void vfsd_destroy(struct vfsd *p, int timeout_ms);

#endif
