/* The VM a container gets (see vmconf.h for the rules). */
#include "runtime/vmconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int rt_self_dir(char *out, size_t size, struct rt_err *err)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);
	char *slash;

	if (n < 0)
		return rt_err_sys(err, errno, "readlink /proc/self/exe");
	out[n] = '\0';
	slash = strrchr(out, '/');
	if (!slash)
		return rt_err_set(err, EINVAL, "cannot tell where runvm is installed");
	*(slash == out ? slash + 1 : slash) = '\0';
	return 0;
}

/* explicit (config or env) must exist; otherwise the first candidate that does. */
static int find_file(const char *what, const char *explicit, const char *explicit_from,
		     const char *self, const char *name, char *out, size_t size,
		     struct rt_err *err)
{
	char tried[2][PATH_MAX];

	if (explicit) {
		if (access(explicit, R_OK) < 0)
			return rt_err_sys(err, errno, "%s %s (from %s)", what, explicit, explicit_from);
		snprintf(out, size, "%s", explicit);
		return 0;
	}
	snprintf(tried[0], sizeof(tried[0]), "%s/%s", self, name);
	snprintf(tried[1], sizeof(tried[1]), "%s/../lib/runvm/%s", self, name);
	for (int i = 0; i < 2; i++)
		if (access(tried[i], R_OK) == 0) {
			snprintf(out, size, "%s", tried[i]);
			return 0;
		}
	return rt_err_set(err, ENOENT,
			  "%s not found: no %s (tried %s and %s; build it with make, or set "
			  "vm.kernel in config.json)",
			  what, name, tried[0], tried[1]);
}

int rt_vm_files(const struct oci_config *cfg, struct rt_vm_files *f, struct rt_err *err)
{
	const struct oci_vm *vm = cfg->vm;
	char self[PATH_MAX];
	const char *env;
	int n;

	if (rt_self_dir(self, sizeof(self), err) < 0)
		return -EINVAL;
	env = getenv("RUNVM_VMM");
	n = env && *env ? snprintf(f->vmm, sizeof(f->vmm), "%s", env)
			: snprintf(f->vmm, sizeof(f->vmm), "%s/runvm-vmm", self);
	if (n < 0 || (size_t)n >= sizeof(f->vmm))
		return rt_err_set(err, ENAMETOOLONG, "runvm-vmm: path too long");
	if (access(f->vmm, X_OK) < 0)
		return rt_err_sys(err, errno, "the VMM %s%s", f->vmm,
				  env && *env ? " (from RUNVM_VMM)" : "");
	env = getenv("RUNVM_VIRTIOFSD");
	f->virtiofsd[0] = '\0';
	if (env && *env) {
		if (strlen(env) >= sizeof(f->virtiofsd))
			return rt_err_set(err, ENAMETOOLONG, "RUNVM_VIRTIOFSD: path too long");
		if (access(env, X_OK) < 0)
			return rt_err_sys(err, errno, "virtiofsd %s (from RUNVM_VIRTIOFSD)", env);
		strcpy(f->virtiofsd, env);
	}
	env = getenv("RUNVM_KERNEL");
	if (vm && vm->kernel_path)
		n = find_file("guest kernel", vm->kernel_path, "vm.kernel.path", self, "vmlinux",
			      f->kernel, sizeof(f->kernel), err);
	else
		n = find_file("guest kernel", env && *env ? env : NULL, "RUNVM_KERNEL", self,
			      "vmlinux", f->kernel, sizeof(f->kernel), err);
	if (n < 0)
		return n;
	env = getenv("RUNVM_INITRD");
	if (vm && vm->initrd)
		return find_file("guest initramfs", vm->initrd, "vm.kernel.initrd", self,
				 "initramfs.cpio", f->initrd, sizeof(f->initrd), err);
	return find_file("guest initramfs", env && *env ? env : NULL, "RUNVM_INITRD", self,
			 "initramfs.cpio", f->initrd, sizeof(f->initrd), err);
}

static int annotation_u64(const struct oci_config *cfg, const char *key, uint64_t min,
			  uint64_t max, uint64_t *out, struct rt_err *err)
{
	const char *v = oci_kvv_get(&cfg->annotations, key);
	unsigned long long x;
	char *end;

	if (!v)
		return 0;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x < min || x > max)
		return rt_err_set(err, EINVAL,
				  "config.json: annotations.%s: expected a number from %llu to "
				  "%llu, got \"%s\"",
				  key, (unsigned long long)min, (unsigned long long)max, v);
	*out = x;
	return 1;
}

int rt_vm_size(const struct oci_config *cfg, unsigned *cpus, uint64_t *mem_mib, struct rt_err *err)
{
	const struct oci_resources *r = &cfg->lnx.resources;
	const struct oci_vm *vm = cfg->vm;
	uint64_t x;
	int got;

	*cpus = RT_VM_DEFAULT_CPUS;
	*mem_mib = RT_VM_DEFAULT_MEM_MIB;
	if (vm && vm->has_vcpus) {
		*cpus = vm->vcpus;
	} else if ((got = annotation_u64(cfg, RT_ANNOT_VCPUS, 1, RT_VM_MAX_CPUS, &x, err)) != 0) {
		if (got < 0)
			return got;
		*cpus = (unsigned)x;
	} else if (r->has_cpu_quota && r->cpu_quota > 0) {
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period : 100000;
		uint64_t n = ((uint64_t)r->cpu_quota + period - 1) / period;

		*cpus = n < 1 ? 1 : n > RT_VM_MAX_CPUS ? RT_VM_MAX_CPUS : (unsigned)n;
	}
	if (vm && vm->has_memory) {
		*mem_mib = vm->memory_mib;
	} else if ((got = annotation_u64(cfg, RT_ANNOT_MEMORY, 64, 1u << 20, &x, err)) != 0) {
		if (got < 0)
			return got;
		*mem_mib = x;
	} else if (r->has_memory_limit && r->memory_limit > 0) {
		x = ((uint64_t)r->memory_limit + (1u << 20) - 1) >> 20;
		x += RT_VM_MEM_OVERHEAD_MIB;
		*mem_mib = x < RT_VM_MEM_MIN_MIB ? RT_VM_MEM_MIN_MIB : x > (1u << 20) ? 1u << 20 : x;
	}
	return 0;
}
