/* Unit tests for the per-vCPU CPUID fix-up (vmm/x86/cpuid.c) on synthetic
 * KVM_GET_SUPPORTED_CPUID output shaped like Intel and AMD hosts. No KVM needed. */
#include "tests/unit/tap.h"
#include "vmm/x86/boot.h"

#include <errno.h>
#include <stdlib.h>

#define CAP 64

static struct kvm_cpuid2 *c;

static void add(uint32_t fn, uint32_t idx, uint32_t a, uint32_t b, uint32_t cx, uint32_t d)
{
	c->entries[c->nent++] = (struct kvm_cpuid_entry2){
		.function = fn, .index = idx, .eax = a, .ebx = b, .ecx = cx, .edx = d,
		.flags = (fn == 4 || fn == 0xb || fn == 0x1f) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX
							      : 0 };
}

static struct kvm_cpuid_entry2 *get(uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	}
	return NULL;
}

static unsigned count(uint32_t fn)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < c->nent; i++)
		n += c->entries[i].function == fn;
	return n;
}

/* What KVM hands back on an Intel host: the host's APIC id 0x2a in leaf 1, the
 * host's cache sharing in leaf 4, host subleaves for 0xB, a bare 0x1F. */
static void intel_host(uint32_t max_basic, bool kvm_leaves)
{
	memset(c, 0, sizeof(*c) + CAP * sizeof(c->entries[0]));
	add(0, 0, max_basic, 0x756e6547, 0x6c65746e, 0x49656e69); /* GenuineIntel */
	add(1, 0, 0x906ea, 0x2a100800, 0x7ffafbff, 0xbfebfbff);
	add(4, 0, 0x1c004121, 0, 0, 0); /* L1d, 2 threads share, 16 cores */
	add(4, 1, 0x1c004122, 0, 0, 0); /* L1i */
	add(4, 2, 0x1c004143, 0, 0, 0); /* L2 */
	add(4, 3, 0x1c03c163, 0, 0, 0); /* L3, 16 share */
	add(4, 4, 0, 0, 0, 0);          /* terminator */
	add(6, 0, 4, 0, 0, 0);
	if (max_basic >= 0xb) {
		add(0xb, 0, 1, 2, 0x100, 0x2a);
		add(0xb, 1, 5, 16, 0x201, 0x2a);
		add(0xb, 2, 0, 0, 2, 0x2a);
	}
	if (max_basic >= 0x1f)
		add(0x1f, 0, 0, 0, 0, 0);
	if (kvm_leaves) {
		add(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
		add(0x40000001, 0, 0x01007afb, 0, 0, 0);
	}
	add(0x80000000, 0, 0x80000008, 0, 0, 0);
	add(0x80000008, 0, 0x3027, 0, 0, 0);
}

static void test_intel(void)
{
	struct kvm_cpuid_entry2 *e;

	intel_host(0x1f, true);
	is_int(x86_cpuid_fixup(c, CAP, 3, 4, 0), 0, "fixup: cpu 3 of 4");
	e = get(1, 0);
	is_int(e->ebx >> 24, 3, "leaf 1: initial APIC id is the vCPU index");
	is_int((e->ebx >> 16) & 0xff, 4, "leaf 1: logical processor count");
	is_int(e->ebx & 0xffff, 0x0800, "leaf 1: CLFLUSH size and brand kept");
	ok(e->ecx & (1u << 31), "leaf 1: hypervisor bit");
	ok(e->edx & (1u << 28), "leaf 1: HTT with several vCPUs");
	is_int((get(4, 0)->eax >> 14) & 0xfff, 0, "leaf 4: L1 private to a core");
	is_int((get(4, 2)->eax >> 14) & 0xfff, 0, "leaf 4: L2 private to a core");
	is_int((get(4, 3)->eax >> 14) & 0xfff, 3, "leaf 4: L3 shared by all vCPUs");
	is_int(get(4, 3)->eax >> 26, 3, "leaf 4: cores per package");
	is_int(get(4, 3)->eax & 0x3fff, 0x163, "leaf 4: cache type and level kept");
	is_int(get(4, 4)->eax, 0, "leaf 4: terminator untouched");
	is_int(count(0xb), 3, "leaf 0xB: SMT, core and terminator subleaves");
	e = get(0xb, 0);
	ok(e && e->eax == 0 && e->ebx == 1 && e->ecx == 0x100 && e->edx == 3,
	   "leaf 0xB.0: one thread per core, x2APIC id 3");
	e = get(0xb, 1);
	ok(e && e->eax == 2 && e->ebx == 4 && e->ecx == 0x201 && e->edx == 3,
	   "leaf 0xB.1: 4 cores, shift 2, x2APIC id 3");
	e = get(0xb, 2);
	ok(e && ((e->ecx >> 8) & 0xff) == 0 && e->ebx == 0 && e->edx == 3,
	   "leaf 0xB.2: invalid level ends the list");
	ok(e && (e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX), "leaf 0xB: subleaves indexed");
	e = get(0x1f, 1);
	ok(count(0x1f) == 3 && e && e->ebx == 4 && e->edx == 3, "leaf 0x1F: same topology");
	e = get(0x40000000, 0);
	ok(e && e->eax >= 0x40000001 && memcmp(&e->ebx, "KVMK", 4) == 0 &&
		   memcmp(&e->ecx, "VMKV", 4) == 0 && memcmp(&e->edx, "M\0\0\0", 4) == 0,
	   "leaf 0x40000000: KVM signature");
	is_int(get(0x40000001, 0)->eax, 0x01007afb, "leaf 0x40000001: KVM features kept");
	is_int(get(0x80000008, 0)->ecx, 0, "Intel: AMD core count leaf untouched");
	is_int(get(6, 0)->eax, 4, "leaf 6: untouched");
}

static void test_shapes(void)
{
	struct kvm_cpuid_entry2 *e;

	intel_host(0x1f, true);
	is_int(x86_cpuid_fixup(c, CAP, 0, 1, 0), 0, "fixup: single vCPU");
	e = get(1, 0);
	ok(e->ebx >> 24 == 0 && ((e->ebx >> 16) & 0xff) == 1 && !(e->edx & (1u << 28)),
	   "leaf 1: one vCPU, APIC id 0, no HTT");
	ok(get(0xb, 1)->eax == 0 && get(0xb, 1)->ebx == 1, "leaf 0xB.1: one core");
	intel_host(0x1f, true);
	is_int(x86_cpuid_fixup(c, CAP, 2, 3, 0), 0, "fixup: cpu 2 of 3");
	is_int((get(1, 0)->ebx >> 16) & 0xff, 4, "leaf 1: count rounds up to the APIC id space");
	ok(get(0xb, 1)->eax == 2 && get(0xb, 1)->ebx == 3, "leaf 0xB.1: 3 cores, shift 2");
	intel_host(0xd, false);
	is_int(x86_cpuid_fixup(c, CAP, 1, 2, 0), 0, "fixup: host without 0x1F nor KVM leaves");
	ok(count(0x1f) == 0 && count(0xb) == 3, "leaf 0x1F not invented beyond the max leaf");
	ok(get(0x40000000, 0) && get(0x40000001, 0) &&
		   memcmp(&get(0x40000000, 0)->ebx, "KVMK", 4) == 0,
	   "KVM leaves added when missing");
	intel_host(0xa, true);
	is_int(x86_cpuid_fixup(c, CAP, 1, 2, 0), 0, "fixup: max basic leaf below 0xB");
	is_int(count(0xb), 0, "leaf 0xB not added when the guest would not look");
}

static void test_amd(void)
{
	struct kvm_cpuid_entry2 *e;

	memset(c, 0, sizeof(*c) + CAP * sizeof(c->entries[0]));
	add(0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65); /* AuthenticAMD */
	add(1, 0, 0xa00f11, 0x07020800, 0x7ed8320b, 0x178bfbff);
	add(0x80000000, 0, 0x80000021, 0, 0, 0);
	add(0x80000001, 0, 0, 0, 0x75c237ff, 0);
	add(0x80000008, 0, 0x3030, 0, 0x1000f, 0);
	add(0x8000001e, 0, 0, 0, 0, 0);
	is_int(x86_cpuid_fixup(c, CAP, 5, 8, 0), 0, "AMD: cpu 5 of 8");
	e = get(0x80000008, 0);
	ok((e->ecx & 0xff) == 7 && ((e->ecx >> 12) & 0xf) == 3 && (e->ecx & 0x10000),
	   "AMD 0x80000008: NC 7, ApicIdSize 3, other bits kept");
	e = get(0x8000001e, 0);
	ok(e->eax == 5 && (e->ebx & 0xff) == 5 && ((e->ebx >> 8) & 0xff) == 0,
	   "AMD 0x8000001E: extended APIC id and core id, one thread");
	ok(get(0x80000001, 0)->ecx & 2, "AMD: CmpLegacy with several cores");
	is_int(get(1, 0)->ebx >> 24, 5, "AMD leaf 1: APIC id");
}

static void test_errors(void)
{
	intel_host(0x1f, true);
	is_int(x86_cpuid_fixup(c, CAP, 4, 4, 0), -EINVAL, "fixup: index beyond ncpus");
	is_int(x86_cpuid_fixup(c, CAP, 0, 0, 0), -EINVAL, "fixup: zero vCPUs");
	is_int(x86_cpuid_fixup(c, CAP, 0, X86_MAX_CPUS + 1, 0), -EINVAL, "fixup: too many vCPUs");
	is_int(x86_cpuid_fixup(c, c->nent - 1, 0, 2, 0), -EINVAL, "fixup: nent beyond capacity");
	intel_host(0x1f, false);
	is_int(x86_cpuid_fixup(c, c->nent, 0, 2, 0), -ENOSPC, "fixup: no room for added subleaves");
}

int main(void)
{
	c = calloc(1, sizeof(*c) + CAP * sizeof(c->entries[0]));
	if (!c) {
		printf("Bail out! no memory\n");
		return 1;
	}
	test_intel();
	test_shapes();
	test_amd();
	test_errors();
	free(c);
	return tap_done();
}
