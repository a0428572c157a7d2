/* `runvm update` on a VM (see vm.h): CPU limits go to the VMM's host cgroup,
 * where the vCPU threads run; memory and pids limits go to the container's
 * cgroup inside the guest (PROTO_UPDATE through the control socket), since the
 * VM's RAM is fixed at create and the VMM's own threads are not the container's
 * processes. Everything is checked before anything is written. */
#include "runtime/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/ctl.h"
#include "runtime/spec2proto.h"

#define VM_CMDLINE_MAX 65536

/* The VM's RAM in MiB: the VMM's --mem, as the runtime launched it. */
static int vm_mem_mib(pid_t pid, uint64_t *mib)
{
	char path[64];
	autofree char *buf = malloc(VM_CMDLINE_MAX);
	autoclose int fd = -1;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = util_read_full(fd, buf, VM_CMDLINE_MAX - 1);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	for (char *a = buf; a < buf + n; a += strlen(a) + 1) {
		char *v = a + strlen(a) + 1, *end;

		if (strcmp(a, "--mem") || v >= buf + n)
			continue;
		*mib = strtoull(v, &end, 10);
		return *end || !*mib ? -EINVAL : 0;
	}
	return -ENOENT;
}

/* A VM cannot grow: a limit above its RAM would be a promise runvm cannot keep. */
static int vm_update_check_memory(const struct rt_container *c, const struct oci_resources *res,
				  struct rt_err *err)
{
	uint64_t mib = 0;
	int r;

	if (!res->has_memory_limit || res->memory_limit <= 0)
		return 0;
	r = vm_mem_mib(c->st.pid, &mib);
	if (r < 0)
		return rt_err_sys(err, r, "resources.memory.limit: cannot tell the VM's memory "
				  "(VMM pid %d)", c->st.pid);
	if ((uint64_t)res->memory_limit > mib << 20)
		return rt_err_set(err, EINVAL,
				  "resources.memory.limit: %" PRId64 " bytes is more than the VM's "
				  "%" PRIu64 " MiB of RAM, which cannot grow (no memory hotplug); "
				  "size the VM at create (vm.hwConfig.memory or a memory limit)",
				  res->memory_limit, mib);
	return 0;
}

static bool vm_guest_key(const char *k)
{
	return !strncmp(k, "memory.", 7) || !strncmp(k, "pids.", 5);
}

/* memory.* and pids.* into the guest's container cgroup. */
static int vm_update_guest(const struct rt_container *c, const struct proto_kv *kv, uint32_t n,
			   struct rt_err *err)
{
	struct proto_kv sel[8];
	struct agent_conn conn;
	struct proto_result res;
	uint32_t k = 0;
	int r;

	for (uint32_t i = 0; i < n; i++)
		if (vm_guest_key(kv[i].key) && k < ARRAY_SIZE(sel))
			sel[k++] = kv[i];
	if (!k)
		return 0;
	/* A frozen guest would answer only after resume. */
	if (c->st.status == OCI_STATUS_PAUSED)
		return rt_err_set(err, EBUSY, "resources.memory/pids: the container is paused, and "
				  "its guest applies them: resume it first");
	r = rt_ctl_open(c->dir, &conn, err);
	if (r < 0)
		return r;
	r = agent_update(&conn, sel, k, &res);
	agent_close(&conn);
	if (r < 0)
		return rt_err_sys(err, r, "update the container's cgroup in the guest");
	if (res.err < 0)
		return rt_err_set(err, -res.err, "%s", res.msg[0] ? res.msg : strerror(-res.err));
	return 0;
}

int rt_vm_update(const struct rt_globals *g, struct rt_container *c,
		 const struct oci_resources *res, struct rt_err *err)
{
	bool host = c->st.rv.cgroup_dir && c->st.rv.cgroup_dir[0];
	struct proto_arena a = { 0 };
	struct proto_kv *kv = NULL;
	uint32_t n = 0;
	int r;

	if (!host && (res->has_cpu_quota || res->has_cpu_shares || res->cpu_cpus))
		return rt_err_set(err, EINVAL,
				  "resources.cpu: the container has no cgroup (no "
				  "linux.cgroupsPath at create)");
	r = vm_update_check_memory(c, res, err);
	if (r == 0)
		r = rt_resources_cgroup(res, &a, &kv, &n, err);
	if (r == 0)
		r = vm_update_guest(c, kv, n, err);
	if (r == 0 && host)
		r = rt_cgroup_apply(c->st.rv.cgroup_dir, res, err);
	proto_arena_fini(&a);
	return r;
}
