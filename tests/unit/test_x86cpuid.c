/* Unit tests for the per-vCPU CPUID fix-up (vmm/x86/cpuid.c) on synthetic
 * KVM_GET_SUPPORTED_CPUID output shaped like Intel and AMD hosts: topology,
 * the TSC-deadline bit, the XSAVE leaf and the XCR0 derived from it. No KVM
 * needed. */
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
		.flags = (fn == 4 || fn == 7 || fn == 0xb || fn == 0xd || fn == 0x1f)
				 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX
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

static void test_tsc_deadline(void)
{
	intel_host(0x1f, true);
	get(1, 0)->ecx &= ~(1u << 24);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, X86_CPUID_TSC_DEADLINE), 0, "fixup: TSC deadline flag");
	ok(get(1, 0)->ecx & (1u << 24), "leaf 1: TSC-deadline bit added when KVM emulates it");
	intel_host(0x1f, true);
	get(1, 0)->ecx &= ~(1u << 24);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "fixup: no flags");
	ok(!(get(1, 0)->ecx & (1u << 24)), "leaf 1: TSC-deadline bit not invented");
}

#define L1_XSAVE_AVX ((1u << 26) | (1u << 28))
#define L7_EBX_AVX512F (1u << 16)
#define L7_ECX_PKU (1u << 3)

/* Leaf 1, 7 and 0xD as KVM reports them on an AVX-512 host with protection
 * keys: x87, SSE, AVX, the three AVX-512 components and PKRU in the standard
 * (uncompacted) layout, 0xD.0 EBX for XCR0 = x87 as after KVM's reset. */
static void xsave_host(uint32_t l1_ecx, uint32_t l7_ebx, uint32_t l7_ecx, uint32_t xcr0)
{
	memset(c, 0, sizeof(*c) + CAP * sizeof(c->entries[0]));
	add(0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(1, 0, 0x906ea, 0x00100800, 0x00000201 | l1_ecx, 0x078bfbff);
	add(7, 0, 0, l7_ebx, l7_ecx, 0);
	add(0xd, 0, xcr0, 0x240, 0xa88, 0);
	add(0xd, 1, 0xf, 0, 0, 0);
	add(0xd, 2, 0x100, 0x240, 0, 0);
	add(0xd, 5, 0x40, 0x440, 0, 0);
	add(0xd, 6, 0x200, 0x480, 0, 0);
	add(0xd, 7, 0x400, 0x680, 0, 0);
	add(0xd, 9, 0x8, 0xa80, 0, 0);
}

static bool zeroed(uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = get(0xd, idx);

	return e && !e->eax && !e->ebx && !e->ecx && !e->edx;
}

static void test_xsave(void)
{
	struct kvm_cpuid_entry2 *e;

	/* The test host's shape: KVM's table is consistent, EBX is not yet. */
	xsave_host(L1_XSAVE_AVX, 0, L7_ECX_PKU, 0x207);
	get(0xd, 5)->eax = get(0xd, 6)->eax = get(0xd, 7)->eax = 0;
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: x87/SSE/AVX/PKRU host");
	e = get(0xd, 0);
	ok(e->eax == 0x207 && e->edx == 0, "0xD.0: XCR0 bits kept");
	ok(e->ebx == 2696 && e->ecx == 2696, "0xD.0: sizes are PKRU's offset + size");
	is_int(x86_cpuid_xcr0(c), 0x207, "xcr0: what 0xD.0 offers");
	ok(get(0xd, 2)->eax == 0x100 && get(0xd, 2)->ebx == 0x240, "0xD.2: AVX subleaf kept");

	xsave_host(L1_XSAVE_AVX, L7_EBX_AVX512F, L7_ECX_PKU, 0x2e7);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: AVX-512 host");
	is_int(x86_cpuid_xcr0(c), 0x2e7, "xcr0: AVX-512 and PKRU kept");
	is_int(get(0xd, 0)->ecx, 2696, "0xD.0 ECX: all components");
	ok(!zeroed(5) && !zeroed(6) && !zeroed(7), "0xD.5-7: AVX-512 subleaves kept");

	xsave_host(L1_XSAVE_AVX, 0, 0, 0x2e7);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: AVX-512F and PKU flags off");
	is_int(x86_cpuid_xcr0(c), 0x7, "xcr0: components without their feature flag dropped");
	ok(get(0xd, 0)->ebx == 832 && get(0xd, 0)->ecx == 832, "0xD.0: sizes end after AVX");
	ok(zeroed(5) && zeroed(6) && zeroed(7) && zeroed(9), "0xD: dropped subleaves zeroed");

	xsave_host(L1_XSAVE_AVX, L7_EBX_AVX512F, L7_ECX_PKU, 0x267);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: two of three AVX-512 components");
	is_int(x86_cpuid_xcr0(c), 0x207, "xcr0: a partial AVX-512 group dropped");

	xsave_host(L1_XSAVE_AVX, L7_EBX_AVX512F, L7_ECX_PKU, 0x2e7);
	get(0xd, 2)->eax = 0;
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: no size for AVX");
	is_int(x86_cpuid_xcr0(c), 0x203, "xcr0: AVX and the AVX-512 built on it dropped");

	xsave_host(L1_XSAVE_AVX, 0, L7_ECX_PKU, 0x80207);
	get(0xd, 0)->edx = 1;
	add(0xd, 19, 0x40, 0xb00, 0, 0);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: components unknown here");
	ok(get(0xd, 0)->eax == 0x207 && get(0xd, 0)->edx == 0, "0xD.0: unknown XCR0 bits dropped");
	ok(zeroed(19) && get(0xd, 0)->ecx == 2696, "0xD.19: unknown subleaf zeroed, not sized");

	xsave_host(L1_XSAVE_AVX, 0, L7_ECX_PKU, 0x207);
	get(0xd, 1)->ecx = 1u << 8; /* a supervisor component, saved by XSAVES */
	get(0xd, 0)->ecx = 0xa88;
	add(0xd, 8, 0x80, 0, 1, 0);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: supervisor component");
	ok(!zeroed(8) && get(0xd, 8)->ecx == 1, "0xD.8: IA32_XSS component kept");
	is_int(x86_cpuid_xcr0(c), 0x207, "xcr0: supervisor component not in XCR0");

	xsave_host(1u << 28, 0, L7_ECX_PKU, 0x207);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: XSAVE flag off");
	ok(get(0xd, 0)->ebx == 0x240 && get(0xd, 0)->ecx == 0xa88, "0xD.0: untouched");
	is_int(x86_cpuid_xcr0(c), 0, "xcr0: none without XSAVE");

	xsave_host(L1_XSAVE_AVX, 0, L7_ECX_PKU, 0x205);
	is_int(x86_cpuid_fixup(c, CAP, 0, 2, 0), 0, "xsave: SSE missing from 0xD.0");
	ok(get(0xd, 0)->eax == 0x205 && !zeroed(9), "0xD: untouched when a guest would not use it");
	is_int(x86_cpuid_xcr0(c), 0, "xcr0: none without x87 and SSE");
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
	test_tsc_deadline();
	test_xsave();
	test_errors();
	free(c);
	return tap_done();
}
