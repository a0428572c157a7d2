/* Host readiness in plain words: can this machine run a runvm guest, and if not,
 * why not. Shared by `runvm-vmm --probe` and `runvm check`. */
#ifndef RUNVM_VMM_PROBE_H
#define RUNVM_VMM_PROBE_H

#include <stdbool.h>

enum probe_kvm {
	PROBE_KVM_OK,          /* hardware virtualization (VMX or SVM) */
	PROBE_KVM_PVM,         /* software KVM (kvm_pvm): cannot boot a stock kernel */
	PROBE_KVM_MISSING,     /* no /dev/kvm */
	PROBE_KVM_DENIED,      /* /dev/kvm not accessible to this user */
	PROBE_KVM_BROKEN,      /* present but unusable (API version, capabilities) */
};

/* Classifies /dev/kvm; *why gets a short explanation. */
enum probe_kvm probe_kvm(const char **why);

/* Prints the whole report on stdout; true if a guest can run here and share
 * directories with it (virtiofsd: the configured one, or NULL to search). */
bool probe_host(const char *kernel, const char *initrd, const char *virtiofsd);

/* An asset installed next to the binary (build/ layout) or in ../lib/runvm;
 * returns a static path or NULL. */
const char *probe_find_asset(const char *name);

#endif
