/* A container's directory under --root: ID validation, the lock every command
 * takes, state.json, and the liveness of the recorded VMM. */
#ifndef RUNVM_RUNTIME_CONTAINER_H
#define RUNVM_RUNTIME_CONTAINER_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "oci/json.h"
#include "oci/state.h"
#include "runtime/rt.h"

#define RT_ID_MAX 255
#define RT_CONFIG_COPY "config.json" /* create's copy of the bundle's config.json */

enum rt_lock_mode {
	RT_LOCK_NONE,	   /* read state.json without locking (list) */
	RT_LOCK_SHARED,	   /* readers: state, ps */
	RT_LOCK_EXCLUSIVE, /* everything that changes the container */
};

struct rt_container {
	char id[RT_ID_MAX + 1];
	char dir[PATH_MAX];
	int dirfd; /* open, and locked unless RT_LOCK_NONE; -1 when closed */
	struct oci_state st;
};

/* runc's rule: [A-Za-z0-9_+.-]+, not "." or "..". */
int rt_id_validate(const char *id, struct rt_err *err);

/* Opens an existing container, locks it and loads its state with the status
 * refreshed (a dead VMM means stopped). Unknown: `container "ID" does not exist`
 * (errno ENOENT). */
int rt_container_open(const char *root, const char *id, enum rt_lock_mode mode,
		      struct rt_container *c, struct rt_err *err);

/* Makes the directory of a new container and locks it exclusively. An existing
 * one: `container with given ID already exists` (errno EEXIST). */
int rt_container_new(const char *root, const char *id, struct rt_container *c, struct rt_err *err);

int rt_container_save(struct rt_container *c, struct rt_err *err);

/* Removes the directory and everything in it; the lock is held until close.
 * Waiters then find the directory gone. */
int rt_container_remove(struct rt_container *c, struct rt_err *err);

/* Drops the lock early (exec and foreground run must not block other commands
 * while they wait); the state stays readable. */
void rt_container_unlock(struct rt_container *c);
void rt_container_close(struct rt_container *c);

/* Marks the container stopped (pid 0) when its VMM is gone or the PID was reused. */
void rt_container_refresh(struct rt_container *c);

/* starttime (field 22) of /proc/PID/stat, and whether PID is a live process (not a
 * zombie) with that start time (0: any). */
int rt_pid_start_time(pid_t pid, uint64_t *out);
bool rt_pid_alive(pid_t pid, uint64_t start_time);

/* The container IDs under root, sorted. A missing root is an empty list. */
int rt_root_list(const char *root, struct oci_strv *ids, struct rt_err *err);

/* runc's error phrases, which callers match. */
int rt_err_not_exist(struct rt_err *err, const char *id);

#endif
