/* vCPU state for the Linux 64-bit boot protocol: identity page tables and a GDT
 * in guest memory, and the long-mode segment/control registers, general
 * registers, FPU, MSRs and LAPIC LINT pins that go with them. There is no
 * firmware, so the BSP starts directly in 64-bit mode at the kernel entry. */
#include "vmm/x86/boot.h"

#include <errno.h>
#include <stdalign.h>
#include <string.h>
#include <sys/ioctl.h>

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PT_ENTRIES 512
#define PAGE_2M (1ull << 21)

/* GDT access bytes (P, DPL 0, S, type with the accessed bit already set so the
 * CPU never writes the table) and flag nibbles (G, D/B, L, AVL). */
#define GDT_CODE_ACCESS 0x9b /* execute/read */
#define GDT_DATA_ACCESS 0x93 /* read/write */
#define GDT_CODE64_FLAGS 0xa /* G, L */
#define GDT_DATA_FLAGS 0xc   /* G, D/B */
#define GDT_ENTRIES 4        /* null, null, __BOOT_CS, __BOOT_DS */

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
/* Fast strings, and BTS/PEBS unavailable as on KVM's own reset, so the guest
 * does not try to drive debug-store features nobody emulates for it. */
#define MISC_ENABLE_BOOT ((1ull << 0) | (1ull << 11) | (1ull << 12))
/* MTRRs enabled (bit 11), default type write-back (6): with MTRRs off the guest
 * would treat all of RAM as uncached. */
#define MTRR_DEF_TYPE_BOOT 0x806
#define NR_BOOT_MSRS 11

#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_DM_MASK (7u << 8)
#define LAPIC_DM_NMI (4u << 8)
#define LAPIC_DM_EXTINT (7u << 8)

uint64_t x86_gdt_entry(uint8_t access, uint8_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(limit & 0xffff)) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) | ((uint64_t)(base >> 24) << 56);
}

void x86_seg_from_gdt(uint64_t desc, uint16_t sel, struct kvm_segment *s)
{
	uint8_t access = (uint8_t)(desc >> 40), flags = (uint8_t)((desc >> 52) & 0xf);
	uint32_t limit = (uint32_t)((desc & 0xffff) | (((desc >> 48) & 0xf) << 16));

	memset(s, 0, sizeof(*s));
	s->base = ((desc >> 16) & 0xffffff) | (((desc >> 56) & 0xff) << 24);
	/* KVM wants the byte-granular limit the CPU would compute. */
	s->limit = (flags & 0x8) ? (limit << 12) | 0xfff : limit;
	s->selector = sel;
	s->type = access & 0xf;
	s->s = (access >> 4) & 1;
	s->dpl = (access >> 5) & 3;
	s->present = access >> 7;
	s->avl = flags & 1;
	s->l = (flags >> 1) & 1;
	s->db = (flags >> 2) & 1;
	s->g = (flags >> 3) & 1;
	s->unusable = !s->present;
}

/* The one GDT, shared by what goes into guest memory and what KVM is told. */
static void boot_gdt(uint64_t gdt[GDT_ENTRIES])
{
	gdt[0] = 0;
	gdt[1] = 0;
	gdt[X86_BOOT_CS / 8] = x86_gdt_entry(GDT_CODE_ACCESS, GDT_CODE64_FLAGS, 0, 0xfffff);
	gdt[X86_BOOT_DS / 8] = x86_gdt_entry(GDT_DATA_ACCESS, GDT_DATA_FLAGS, 0, 0xfffff);
}

int x86_setup_gdt(const struct guest_mem *m)
{
	uint64_t gdt[GDT_ENTRIES];
	void *dst = mem_ptr(m, X86_GDT_GPA, sizeof(gdt));

	if (!dst)
		return -EFAULT;
	boot_gdt(gdt);
	memcpy(dst, gdt, sizeof(gdt));
	return 0;
}

/* Maps [0, X86_IDENT_MAP_GIB GiB) 1:1 with 2 MiB pages: enough for the kernel,
 * zero page and command line wherever they sit below the 32-bit hole. The
 * kernel switches to its own tables almost immediately. */
int x86_setup_pagetables(const struct guest_mem *m)
{
	uint64_t *pml4 = mem_ptr(m, X86_PML4_GPA, 4096);
	uint64_t *pdpt = mem_ptr(m, X86_PDPT_GPA, 4096);
	uint64_t *pd = mem_ptr(m, X86_PD_GPA, 4096ull * X86_IDENT_MAP_GIB);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = X86_PDPT_GPA | PTE_P | PTE_RW;
	for (unsigned i = 0; i < X86_IDENT_MAP_GIB; i++)
		pdpt[i] = (X86_PD_GPA + 4096ull * i) | PTE_P | PTE_RW;
	for (uint64_t j = 0; j < (uint64_t)PT_ENTRIES * X86_IDENT_MAP_GIB; j++)
		pd[j] = (j * PAGE_2M) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

void x86_boot_sregs(struct kvm_sregs *s)
{
	uint64_t gdt[GDT_ENTRIES];
	struct kvm_segment data;

	boot_gdt(gdt);
	x86_seg_from_gdt(gdt[X86_BOOT_CS / 8], X86_BOOT_CS, &s->cs);
	x86_seg_from_gdt(gdt[X86_BOOT_DS / 8], X86_BOOT_DS, &data);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->gdt.base = X86_GDT_GPA;
	s->gdt.limit = sizeof(gdt) - 1;
	/* No IDT: interrupts stay off until the kernel loads its own. */
	s->idt.base = 0;
	s->idt.limit = 0;
	/* VM entry needs a usable busy TSS even though nothing here uses it. */
	s->tr = (struct kvm_segment){ .limit = 0xffff, .type = 11, .present = 1 };
	s->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	s->cr3 = X86_PML4_GPA;
	s->cr4 = CR4_PAE;
	s->efer = EFER_LME | EFER_LMA;
}

void x86_boot_regs(struct kvm_regs *r, uint64_t entry, uint64_t boot_params_gpa)
{
	memset(r, 0, sizeof(*r));
	r->rip = entry;
	r->rsi = boot_params_gpa;
	r->rflags = 0x2; /* the always-one bit; IF clear */
	r->rsp = X86_BOOT_STACK_GPA;
	r->rbp = X86_BOOT_STACK_GPA;
}

void x86_boot_fpu(struct kvm_fpu *f)
{
	memset(f, 0, sizeof(*f));
	f->fcw = 0x37f;     /* FNINIT default: all exceptions masked */
	f->mxcsr = 0x1f80;  /* power-on default: all SSE exceptions masked */
}

unsigned x86_boot_msrs(struct kvm_msr_entry *e, unsigned max)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} boot[NR_BOOT_MSRS] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 },
		{ MSR_LSTAR, 0 }, { MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 },
		{ MSR_IA32_TSC, 0 }, { MSR_IA32_MISC_ENABLE, MISC_ENABLE_BOOT },
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_BOOT },
	};
	unsigned n = max < NR_BOOT_MSRS ? max : NR_BOOT_MSRS;

	for (unsigned i = 0; i < n; i++)
		e[i] = (struct kvm_msr_entry){ .index = boot[i].index, .data = boot[i].data };
	return n;
}

static void lapic_set_lvt(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~(LAPIC_DM_MASK | LAPIC_LVT_MASKED)) | mode;
	memcpy(&l->regs[reg], &v, sizeof(v));
}

void x86_lapic_set_lints(struct kvm_lapic_state *l)
{
	lapic_set_lvt(l, LAPIC_LVT_LINT0, LAPIC_DM_EXTINT);
	lapic_set_lvt(l, LAPIC_LVT_LINT1, LAPIC_DM_NMI);
}

int x86_setup_regs(int vcpu_fd, uint64_t entry, uint64_t boot_params_gpa)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu;

	/* Start from KVM's reset state so fields we do not own (LDT, APIC base,
	 * pending interrupts) keep values KVM accepts. */
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	x86_boot_sregs(&sregs);
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	x86_boot_regs(&regs, entry, boot_params_gpa);
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	x86_boot_fpu(&fpu);
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

int x86_setup_msrs(int vcpu_fd)
{
	alignas(struct kvm_msrs) uint8_t buf[sizeof(struct kvm_msrs) +
					     NR_BOOT_MSRS * sizeof(struct kvm_msr_entry)];
	struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
	int n;

	memset(buf, 0, sizeof(buf));
	msrs->nmsrs = x86_boot_msrs(msrs->entries, NR_BOOT_MSRS);
	n = ioctl(vcpu_fd, KVM_SET_MSRS, msrs);
	if (n < 0)
		return -errno;
	/* KVM stops at the first MSR it refuses and returns how many it set. */
	return (unsigned)n == msrs->nmsrs ? 0 : -EIO;
}

int x86_setup_lapic(int vcpu_fd)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	x86_lapic_set_lints(&lapic);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

int x86_setup_vcpu(int vcpu_fd, uint64_t entry, uint64_t boot_params_gpa, bool bsp)
{
	int err = x86_setup_msrs(vcpu_fd);

	/* APs need nothing more: with the in-kernel irqchip KVM holds them in
	 * KVM_MP_STATE_UNINITIALIZED until the guest's INIT/SIPI, which resets
	 * their registers and LAPIC anyway. MTRRs survive INIT, hence the MSRs. */
	if (err || !bsp)
		return err;
	err = x86_setup_lapic(vcpu_fd);
	if (err)
		return err;
	return x86_setup_regs(vcpu_fd, entry, boot_params_gpa);
}
