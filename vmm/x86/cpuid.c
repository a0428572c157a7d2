/* Guest CPUID: what KVM supports, adjusted per vCPU. KVM's answer carries the
 * host's APIC id and topology, so each vCPU gets its own APIC id and a topology
 * of ncpus single-threaded cores in one package; the hypervisor bit and the KVM
 * leaves let the guest find kvm-clock instead of calibrating the TSC, and the
 * TSC-deadline bit lets it skip calibrating the LAPIC timer. Leaf 0xD is made
 * self-consistent, and the vCPU starts with the XCR0 it describes (see
 * cpuid_set_xcr0 for why). */
#include "vmm/x86/boot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_INITIAL_CAP 128
#define CPUID_MAX_CAP 4096
/* Room for the topology subleaves and KVM leaves the fix-up may add. */
#define CPUID_SPARE 16

#define LEAF1_EDX_HTT (1u << 28)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_XSAVE (1u << 26)
#define LEAF1_ECX_AVX (1u << 28)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF7_EBX_MPX (1u << 14)
#define LEAF7_EBX_AVX512F (1u << 16)
#define LEAF7_ECX_PKU (1u << 3)
#define LEAF7_EDX_AMX_TILE (1u << 24)
#define EXT1_ECX_CMP_LEGACY (1u << 1)
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2
#define KVM_SIG_LEAF 0x40000000u
#define KVM_FEATURES_LEAF 0x40000001u
#define VENDOR_AMD_EBX 0x68747541u   /* "Auth" */
#define VENDOR_HYGON_EBX 0x6f677948u /* "Hygo" */

#define XSAVE_LEAF 0xdu
/* The legacy FXSAVE region plus the XSAVE header: the area x87 and SSE need. */
#define XSAVE_LEGACY_SIZE 576u
#define XFEAT_FP (1ull << 0)
#define XFEAT_SSE (1ull << 1)
#define XFEAT_YMM (1ull << 2)
#define XFEAT_MPX (3ull << 3)    /* BNDREGS, BNDCSR */
#define XFEAT_AVX512 (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XFEAT_PKRU (1ull << 9)
#define XFEAT_AMX (3ull << 17)   /* XTILECFG, XTILEDATA */
/* The user state components KVM can hand a guest; anything else in leaf 0xD.0
 * is a component this file does not know how to keep consistent. */
#define XFEAT_KNOWN (XFEAT_FP | XFEAT_SSE | XFEAT_YMM | XFEAT_MPX | XFEAT_AVX512 | \
		     XFEAT_PKRU | XFEAT_AMX)

static struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c, uint32_t fn,
					    uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return (struct kvm_cpuid_entry2 *)&c->entries[i];
	}
	return NULL;
}

static bool cpuid_has(struct kvm_cpuid2 *c, uint32_t fn)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn)
			return true;
	}
	return false;
}

static void cpuid_remove(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function != fn)
			c->entries[n++] = c->entries[i];
	}
	c->nent = n;
}

static int cpuid_add(struct kvm_cpuid2 *c, unsigned max, struct kvm_cpuid_entry2 e)
{
	if (c->nent >= max)
		return -ENOSPC;
	c->entries[c->nent++] = e;
	return 0;
}

/* log2 of the APIC id space ncpus cores need: ids are allocated in powers of 2. */
static uint32_t order(unsigned n)
{
	uint32_t k = 0;

	while ((1u << k) < n)
		k++;
	return k;
}

static void fix_leaf1(struct kvm_cpuid2 *c, unsigned cpu, unsigned ncpus, unsigned flags)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);

	if (!e)
		return;
	e->ebx = (e->ebx & 0xffff) | (cpu << 24) | ((1u << order(ncpus)) << 16);
	e->ecx |= LEAF1_ECX_HYPERVISOR;
	/* KVM emulates the deadline mode in its LAPIC but leaves the bit out of
	 * KVM_GET_SUPPORTED_CPUID. Without it Linux calibrates the LAPIC timer for
	 * 100 ms, checks it against the PIT tick for another 100 ms and, when the
	 * two drift apart meanwhile (a busy or nested host), declares the LAPIC
	 * timer broken: no one-shot mode, no high resolution timers. */
	if (flags & X86_CPUID_TSC_DEADLINE)
		e->ecx |= LEAF1_ECX_TSC_DEADLINE;
	/* HTT says the count above is valid; with one vCPU there is nothing to count. */
	if (ncpus > 1)
		e->edx |= LEAF1_EDX_HTT;
	else
		e->edx &= ~LEAF1_EDX_HTT;
}

/* Deterministic cache parameters: L1/L2 private to a core, L3 shared by all. */
static void fix_leaf4(struct kvm_cpuid2 *c, unsigned ncpus)
{
	uint32_t ids = (1u << order(ncpus)) - 1;

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t level = (e->eax >> 5) & 7;

		if (e->function != 4 || (e->eax & 0x1f) == 0)
			continue;
		e->eax = (e->eax & 0x3fff) | ((level >= 3 ? ids : 0) << 14) | (ids << 26);
	}
}

/* Extended topology (0xB, and 0x1F where KVM reports it): SMT level of one
 * thread, core level of ncpus, then the terminating invalid level. KVM reports
 * either nothing useful or the host's subleaves, so all are replaced. */
static int fix_topology(struct kvm_cpuid2 *c, unsigned max, uint32_t fn, unsigned cpu,
			unsigned ncpus)
{
	struct kvm_cpuid_entry2 *l0 = cpuid_find(c, 0, 0);
	const uint32_t flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	int err;

	if (!l0 || l0->eax < fn || !cpuid_has(c, fn))
		return 0;
	cpuid_remove(c, fn);
	err = cpuid_add(c, max, (struct kvm_cpuid_entry2){
		.function = fn, .index = 0, .flags = flags, .eax = 0, .ebx = 1,
		.ecx = (TOPO_LEVEL_SMT << 8) | 0, .edx = cpu });
	if (err == 0)
		err = cpuid_add(c, max, (struct kvm_cpuid_entry2){
			.function = fn, .index = 1, .flags = flags, .eax = order(ncpus),
			.ebx = ncpus, .ecx = (TOPO_LEVEL_CORE << 8) | 1, .edx = cpu });
	if (err == 0)
		err = cpuid_add(c, max, (struct kvm_cpuid_entry2){
			.function = fn, .index = 2, .flags = flags, .ecx = 2, .edx = cpu });
	return err;
}

/* AMD enumerates cores through its extended leaves rather than 0xB. */
static void fix_amd(struct kvm_cpuid2 *c, unsigned cpu, unsigned ncpus)
{
	struct kvm_cpuid_entry2 *l0 = cpuid_find(c, 0, 0), *e;

	if (!l0 || (l0->ebx != VENDOR_AMD_EBX && l0->ebx != VENDOR_HYGON_EBX))
		return;
	e = cpuid_find(c, 0x80000001, 0);
	if (e && ncpus > 1)
		e->ecx |= EXT1_ECX_CMP_LEGACY; /* leaf 1's count is cores, not threads */
	else if (e)
		e->ecx &= ~EXT1_ECX_CMP_LEGACY;
	e = cpuid_find(c, 0x80000008, 0);
	if (e)
		e->ecx = (e->ecx & ~0xf0ffu) | (order(ncpus) << 12) | (ncpus - 1);
	e = cpuid_find(c, 0x8000001e, 0);
	if (e) {
		e->eax = cpu;                                    /* extended APIC id */
		e->ebx = (e->ebx & ~0xffffu) | (cpu & 0xff);     /* core id, 1 thread */
		e->ecx = e->ecx & ~0x7ffu;                       /* node 0 of 1 */
	}
}

static int fix_kvm_leaves(struct kvm_cpuid2 *c, unsigned max)
{
	static const char sig[12] = "KVMKVMKVM\0\0";
	struct kvm_cpuid_entry2 *e = cpuid_find(c, KVM_SIG_LEAF, 0);
	int err;

	if (!e) {
		err = cpuid_add(c, max, (struct kvm_cpuid_entry2){ .function = KVM_SIG_LEAF });
		if (err)
			return err;
		e = &c->entries[c->nent - 1];
	}
	memcpy(&e->ebx, sig, 4);
	memcpy(&e->ecx, sig + 4, 4);
	memcpy(&e->edx, sig + 8, 4);
	if (e->eax < KVM_FEATURES_LEAF)
		e->eax = KVM_FEATURES_LEAF;
	if (cpuid_find(c, KVM_FEATURES_LEAF, 0))
		return 0;
	return cpuid_add(c, max, (struct kvm_cpuid_entry2){ .function = KVM_FEATURES_LEAF });
}

/* Components whose size and offset no subleaf gives cannot be saved. */
static uint64_t xsave_described(struct kvm_cpuid2 *c, uint64_t mask)
{
	for (uint32_t i = 2; i < 64; i++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(c, XSAVE_LEAF, i);

		if ((mask & (1ull << i)) && (!e || e->eax == 0))
			mask &= ~(1ull << i);
	}
	return mask;
}

/* Components come in groups that are enabled whole, on top of the ones they
 * extend, and only with the feature flag of the instructions that use them: a
 * guest leaves a component out of XCR0 when its flag is off, and KVM_SET_XCRS
 * refuses half a group or a group without its base. */
static uint64_t xsave_usable(struct kvm_cpuid2 *c, uint64_t mask)
{
	const struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0), *l7 = cpuid_find(c, 7, 0);
	const uint32_t ecx1 = l1 ? l1->ecx : 0, ebx7 = l7 ? l7->ebx : 0;
	const uint32_t ecx7 = l7 ? l7->ecx : 0, edx7 = l7 ? l7->edx : 0;
	const struct {
		uint64_t group, base;
		bool flag;
	} deps[] = { /* in order: AVX-512 builds on a YMM already checked */
		{ XFEAT_YMM, XFEAT_SSE, ecx1 & LEAF1_ECX_AVX },
		{ XFEAT_MPX, 0, ebx7 & LEAF7_EBX_MPX },
		{ XFEAT_AVX512, XFEAT_YMM, ebx7 & LEAF7_EBX_AVX512F },
		{ XFEAT_PKRU, 0, ecx7 & LEAF7_ECX_PKU },
		{ XFEAT_AMX, 0, edx7 & LEAF7_EDX_AMX_TILE },
	};

	mask &= XFEAT_KNOWN;
	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		if ((mask & deps[i].group) != deps[i].group ||
		    (mask & deps[i].base) != deps[i].base || !deps[i].flag)
			mask &= ~deps[i].group;
	}
	return mask;
}

/* Leaf 0xD: the XCR0 bits offered (0xD.0 EDX:EAX) cut down to components a
 * guest can enable, subleaves of components not offered zeroed, and both sizes
 * (EBX for the XCR0 the vCPU starts with, ECX for all offered) recomputed from
 * the subleaves that remain, so a guest that sums them gets what CPUID says. */
static void fix_xsave(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0), *e0 = cpuid_find(c, XSAVE_LEAF, 0);
	struct kvm_cpuid_entry2 *e1 = cpuid_find(c, XSAVE_LEAF, 1);
	uint64_t xcr0, xss = e1 ? e1->ecx | (uint64_t)e1->edx << 32 : 0;
	uint64_t size = XSAVE_LEGACY_SIZE;

	if (!l1 || !(l1->ecx & LEAF1_ECX_XSAVE) || !e0)
		return;
	xcr0 = e0->eax | (uint64_t)e0->edx << 32;
	if ((xcr0 & (XFEAT_FP | XFEAT_SSE)) != (XFEAT_FP | XFEAT_SSE))
		return; /* a guest will not use XSAVE at all */
	xcr0 = xsave_usable(c, xsave_described(c, xcr0));
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != XSAVE_LEAF || e->index < 2)
			continue;
		if (e->index >= 64 || !((xcr0 | xss) & (1ull << e->index)))
			e->eax = e->ebx = e->ecx = e->edx = 0;
		else if ((xcr0 & (1ull << e->index)) && (uint64_t)e->ebx + e->eax > size)
			size = (uint64_t)e->ebx + e->eax;
	}
	e0->eax = (uint32_t)xcr0;
	e0->edx = (uint32_t)(xcr0 >> 32);
	e0->ebx = e0->ecx = (uint32_t)size;
}

uint64_t x86_cpuid_xcr0(const struct kvm_cpuid2 *c)
{
	const struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0), *e0 = cpuid_find(c, XSAVE_LEAF, 0);
	uint64_t xcr0;

	if (!l1 || !(l1->ecx & LEAF1_ECX_XSAVE) || !e0)
		return 0;
	xcr0 = e0->eax | (uint64_t)e0->edx << 32;
	return (xcr0 & (XFEAT_FP | XFEAT_SSE)) == (XFEAT_FP | XFEAT_SSE) ? xcr0 : 0;
}

int x86_cpuid_fixup(struct kvm_cpuid2 *c, unsigned max, unsigned cpu_index, unsigned ncpus,
		    unsigned flags)
{
	int err;

	if (ncpus == 0 || ncpus > X86_MAX_CPUS || cpu_index >= ncpus || c->nent > max)
		return -EINVAL;
	fix_leaf1(c, cpu_index, ncpus, flags);
	fix_leaf4(c, ncpus);
	fix_xsave(c);
	fix_amd(c, cpu_index, ncpus);
	err = fix_topology(c, max, 0xb, cpu_index, ncpus);
	if (err == 0)
		err = fix_topology(c, max, 0x1f, cpu_index, ncpus);
	if (err == 0)
		err = fix_kvm_leaves(c, max);
	return err;
}

/* KVM_GET_SUPPORTED_CPUID into a buffer grown until it fits, with spare room. */
static int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out, unsigned *cap_out)
{
	for (unsigned cap = CPUID_INITIAL_CAP; cap <= CPUID_MAX_CAP; cap *= 2) {
		struct kvm_cpuid2 *c =
			calloc(1, sizeof(*c) + cap * sizeof(struct kvm_cpuid_entry2));
		int err;

		if (!c)
			return -ENOMEM;
		c->nent = cap - CPUID_SPARE;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			*cap_out = cap;
			return 0;
		}
		err = -errno;
		free(c);
		if (err != -E2BIG)
			return err;
	}
	return -E2BIG;
}

/* Linux sizes its XSAVE buffers by CPUID 0xD.0 EBX, which KVM recomputes from
 * the XCR0 it last saw the guest set, and KVM loads that XCR0 at every entry.
 * Nested under a hypervisor that lets XSETBV through without an exit (QEMU's
 * TCG SVM, as in the test host), KVM never sees the write and keeps the reset
 * value 1: EBX says 576 bytes, the guest's own sum of the subleaves says more,
 * and Linux warns and gives up XSAVE, or with XCR0 = 1 reloaded under it would
 * lose SSE/AVX state. Starting the vCPU with the XCR0 the guest is going to
 * choose, everything leaf 0xD.0 offers, keeps both right there; elsewhere the
 * guest's own XSETBV replaces it before anything depends on it. XCR0 survives
 * INIT, so this holds for the APs too. */
static int cpuid_set_xcr0(int kvm_fd, int vcpu_fd, uint64_t xcr0)
{
	struct kvm_xcrs x = { .nr_xcrs = 1, .xcrs = { { .xcr = 0, .value = xcr0 } } };

	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		return 0;
	return ioctl(vcpu_fd, KVM_SET_XCRS, &x) < 0 ? -errno : 0;
}

int x86_setup_cpuid(int kvm_fd, int vcpu_fd, unsigned cpu_index, unsigned ncpus)
{
	struct kvm_cpuid2 *c = NULL;
	unsigned cap = 0, flags = 0;
	uint64_t xcr0;
	int err = cpuid_get_supported(kvm_fd, &c, &cap);

	if (err)
		return err;
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		flags |= X86_CPUID_TSC_DEADLINE;
	err = x86_cpuid_fixup(c, cap, cpu_index, ncpus, flags);
	if (err == 0 && ioctl(vcpu_fd, KVM_SET_CPUID2, c) < 0)
		err = -errno;
	xcr0 = x86_cpuid_xcr0(c);
	free(c);
	/* After KVM_SET_CPUID2: KVM checks XCR0 against the guest's CPUID. */
	if (err == 0 && xcr0)
		err = cpuid_set_xcr0(kvm_fd, vcpu_fd, xcr0);
	return err;
}
