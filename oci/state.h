/* The container state: state.json in the container's directory (OCI fields plus
 * runvm's own under the "runvm" key), the JSON of `runvm state`/`list`, and the
 * state document that hooks read on stdin. */
#ifndef RUNVM_OCI_STATE_H
#define RUNVM_OCI_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/err.h"
#include "oci/json.h"
#include "oci/jsonw.h"

#define OCI_STATE_FILE "state.json"

enum oci_status {
	OCI_STATUS_CREATING,
	OCI_STATUS_CREATED,
	OCI_STATUS_RUNNING,
	OCI_STATUS_PAUSED,
	OCI_STATUS_STOPPED,
};

/* runvm's private part: never shown by `runvm state`. */
struct oci_state_priv {
	char *cgroup_manager; /* "cgroupfs" or "systemd" */
	char *cgroups_path;
	bool rootless;
	char *vmm_path;
	char *kernel_path;
	char *initrd_path;
	char *control_socket;
	uint64_t vmm_start_time; /* starttime of /proc/PID/stat: tells a reused PID */
	char *cgroup_dir;	 /* the host cgroup the VMM and exec proxies run in */
};

struct oci_state {
	char *oci_version;
	char *id;
	enum oci_status status;
	int pid; /* the VMM; 0 when none */
	char *bundle;
	char *rootfs;
	struct timespec created;
	struct oci_kvv annotations;
	char *owner;
	struct oci_state_priv rv;
};

enum oci_state_view {
	OCI_STATE_VIEW_CLI,  /* runvm state, list --format json */
	OCI_STATE_VIEW_HOOK, /* the OCI state on a hook's stdin */
	OCI_STATE_VIEW_GUEST_HOOK, /* the same without "pid", which the guest adds */
	OCI_STATE_VIEW_DISK, /* state.json: CLI fields plus "runvm" */
};

const char *oci_status_name(enum oci_status st);
int oci_status_parse(const char *name, enum oci_status *out);

/* RFC 3339 in UTC with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano, as
 * runc prints it). 0 or -ENOSPC. */
int oci_time_format(const struct timespec *ts, char *buf, size_t size);
/* Accepts any fraction length and a Z or +hh:mm offset. 0 or -EINVAL. */
int oci_time_parse(const char *s, struct timespec *out);

void oci_state_gen(struct oci_jw *w, const struct oci_state *s, enum oci_state_view view);
/* A complete document in a heap buffer (NUL-terminated). indent NULL: compact. */
int oci_state_to_json(const struct oci_state *s, enum oci_state_view view, const char *indent,
		      char **out, size_t *len, struct rt_err *err);
int oci_state_parse(const char *json, size_t len, struct oci_state *s, struct rt_err *err);

/* state.json in dirfd: written atomically, read with a size cap. */
int oci_state_save(int dirfd, const struct oci_state *s, struct rt_err *err);
int oci_state_load(int dirfd, struct oci_state *s, struct rt_err *err);

void oci_state_fini(struct oci_state *s);

#endif
