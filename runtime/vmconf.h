/* What VM a container gets: the VMM binary, the guest kernel and initramfs, the
 * number of vCPUs and the RAM.
 *
 * Files, first found wins:
 *   VMM:       $RUNVM_VMM; runvm-vmm next to the runvm binary.
 *   virtiofsd: $RUNVM_VIRTIOFSD (C or Rust); else the VMM's own choice.
 *   kernel:    vm.kernel.path of config.json; $RUNVM_KERNEL; vmlinux next to the
 *              runvm binary (build/); ../lib/runvm/vmlinux from it (installed).
 *   initramfs: vm.kernel.initrd; $RUNVM_INITRD; initramfs.cpio in the same places.
 * A file named by the config or the environment must exist (no fallback).
 *
 * Size, first given wins, for vCPUs and RAM separately:
 *   1. vm.hwConfig.vcpus / vm.hwConfig.memory (MiB) of config.json;
 *   2. annotations io.runvm.vcpus / io.runvm.memory_mib;
 *   3. linux.resources: vCPUs = ceil(cpu quota / period); RAM = the memory limit
 *      rounded up to MiB + RT_VM_MEM_OVERHEAD_MIB for the guest kernel and init,
 *      at least RT_VM_MEM_MIN_MIB;
 *   4. RT_VM_DEFAULT_CPUS, RT_VM_DEFAULT_MEM_MIB. */
#ifndef RUNVM_RUNTIME_VMCONF_H
#define RUNVM_RUNTIME_VMCONF_H

#include <limits.h>
#include <stdint.h>

#include "common/err.h"
#include "oci/config.h"

#define RT_VM_DEFAULT_CPUS 1
#define RT_VM_DEFAULT_MEM_MIB 256
#define RT_VM_MEM_OVERHEAD_MIB 64
#define RT_VM_MEM_MIN_MIB 128
#define RT_VM_MAX_CPUS 64
#define RT_ANNOT_VCPUS "io.runvm.vcpus"
#define RT_ANNOT_MEMORY "io.runvm.memory_mib"

struct rt_vm_files {
	char vmm[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX];
	char virtiofsd[PATH_MAX]; /* "": runvm-vmm picks one */
};

/* The directory of the running runvm binary. */
int rt_self_dir(char *out, size_t size, struct rt_err *err);

int rt_vm_files(const struct oci_config *cfg, struct rt_vm_files *f, struct rt_err *err);

int rt_vm_size(const struct oci_config *cfg, unsigned *cpus, uint64_t *mem_mib, struct rt_err *err);

#endif
