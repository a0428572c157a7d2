/* config.json (struct oci_config) to the agent protocol's container spec (struct
 * proto_spec), which crosses into the guest as STATE/spec.bin: the guest never
 * parses JSON. Names become numbers here (capabilities, rlimits, seccomp actions),
 * bind mounts become paths in the virtio-fs share, linux.resources become cgroup v2
 * files. Valid values the guest cannot honour are refused with the JSON path. */
#ifndef RUNVM_RUNTIME_SPEC2PROTO_H
#define RUNVM_RUNTIME_SPEC2PROTO_H

#include <stdbool.h>

#include "common/err.h"
#include "common/proto.h"
#include "oci/config.h"

#define RT_SHARE_TAG "rootfs" /* the virtio-fs tag of the container's share */

struct rt_spec_in {
	const struct oci_config *cfg;
	const char *id;
	/* The share: root_tag mounted at PROTO_SHARE_DIR, the rootfs at root_path in
	 * it. An empty root_tag makes root_path a guest directory. */
	const char *root_tag, *root_path;
	/* Per mount index: the share entry of a bind mount ("m0"), NULL otherwise. */
	const char *const *bind_names;
	/* The startContainer hooks' state (OCI_STATE_VIEW_GUEST_HOOK); NULL when
	 * there are no such hooks. */
	const char *hook_state;
	/* The network the VM is attached to (runtime/net.h), copied by pointer. */
	struct proto_netif *netifs;
	uint32_t n_netifs;
	struct proto_route *routes;
	uint32_t n_routes;
	/* --preserve-fds: the process's extra fds (directions; the VMM sets the
	 * ports). */
	const struct proto_extra_fd *extra;
	uint32_t n_extra;
};

/* Whether a config.json mount is a bind mount (type "bind" or a bind option). */
bool rt_mount_is_bind(const struct oci_mount *m);

/* Fills *out from in; everything it points to is in out->arena or in in->cfg, so
 * in->cfg must outlive it. Free with proto_spec_free (also after a failure). */
int rt_spec_build(const struct rt_spec_in *in, struct proto_spec *out, struct rt_err *err);

/* A process (the container's, or an exec's) into *out, allocating from a. */
int rt_process_build(const struct oci_process *p, struct proto_arena *a, struct proto_process *out,
		     struct rt_err *err);

/* linux.resources as cgroup v2 files of the guest's container cgroup
 * (memory.max, memory.low, cpu.max, cpu.weight, pids.max), allocated from a. */
int rt_resources_cgroup(const struct oci_resources *r, struct proto_arena *a, struct proto_kv **kv,
			uint32_t *n, struct rt_err *err);

/* runc's conversion of cpu shares (2..262144) to cgroup v2 cpu.weight (1..10000). */
uint64_t rt_cpu_shares_to_weight(uint64_t shares);

/* Builds and encodes the spec as one PROTO_CREATE message into b. */
int rt_spec_encode(const struct rt_spec_in *in, struct proto_buf *b, struct rt_err *err);

#endif
