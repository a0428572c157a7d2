/* x86_64 guest boot: loading an uncompressed vmlinux, the Linux 64-bit boot
 * protocol structures (zero page, command line, e820 map, initrd), the Intel MP
 * table that announces the vCPUs without ACPI, and the register, MSR and CPUID
 * state a kernel expects at its 64-bit entry point.
 *
 * The functions that only write guest memory or fill KVM structures are pure and
 * unit-tested with fake memory; the x86_setup_vcpu/_msrs/_lapic/_cpuid ones wrap
 * them with the vCPU ioctls.
 *
 * Guest-physical layout (all backed by RAM; e820 reserves 0x9fc00..1 MiB):
 *
 *   0x00500  GDT: null, null, code64 (0x10), data (0x18)
 *   0x07000  zero page (struct boot_params)
 *   0x08ff0  initial stack pointer (grows down to 0x8000)
 *   0x09000  PML4, 0x0a000 PDPT, 0x0b000..0x0efff four PDs: 0..4 GiB identity, 2 MiB pages
 *   0x20000  kernel command line, X86_CMDLINE_MAX bytes
 *   0x9fc00  MP floating pointer, then the MP config table (e820-reserved to 1 MiB)
 *   0x100000 and up: the kernel at its ELF physical addresses (16 MiB for vmlinux),
 *            the initrd at the top of low RAM below X86_INITRD_ADDR_MAX. */
#ifndef RUNVM_VMM_X86_BOOT_H
#define RUNVM_VMM_X86_BOOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/mem.h"

#define X86_GDT_GPA 0x500ull
#define X86_ZERO_PAGE_GPA 0x7000ull
#define X86_BOOT_STACK_GPA 0x8ff0ull
#define X86_PML4_GPA 0x9000ull
#define X86_PDPT_GPA 0xa000ull
#define X86_PD_GPA 0xb000ull
#define X86_IDENT_MAP_GIB 4 /* one PD page per GiB, so PDs end at 0xf000 */
#define X86_CMDLINE_GPA 0x20000ull
/* Linux x86 copies COMMAND_LINE_SIZE (2048) bytes including the NUL. */
#define X86_CMDLINE_MAX 2048u
#define X86_EBDA_GPA 0x9fc00ull
#define X86_MPTABLE_GPA X86_EBDA_GPA
#define X86_HIMEM_GPA 0x100000ull
/* bzImage headers advertise this for x86_64; a vmlinux carries no setup header,
 * so honour the value its bzImage would have declared. */
#define X86_INITRD_ADDR_MAX 0x7fffffffull

#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18

#define X86_LAPIC_GPA 0xfee00000u
#define X86_IOAPIC_GPA 0xfec00000u
#define X86_IOAPIC_PINS 24
/* Matches the guest's CONFIG_NR_CPUS; APIC ids 0..63 and the IOAPIC id after them
 * fit the 8-bit xAPIC id space. */
#define X86_MAX_CPUS 64u

#define X86_E820_RAM 1
#define X86_E820_RESERVED 2
#define X86_E820_MAX 128

struct x86_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

/* --- elf.c --- */

/* Loads the PT_LOAD segments of an ELF64 x86_64 ET_EXEC (vmlinux) from fd at
 * their physical addresses (>= 1 MiB) and zeroes their bss. *entry is the
 * physical entry point, *kernel_end the highest loaded physical address + 1.
 * -ENOEXEC for a malformed or foreign file, -ERANGE for a segment outside RAM. */
int x86_load_elf(const struct guest_mem *m, int fd, uint64_t *entry, uint64_t *kernel_end);

/* --- bootparams.c --- */

struct x86_boot_cfg {
	const char *cmdline;  /* NUL-terminated; NULL means empty */
	uint64_t initrd_gpa;  /* ignored when initrd_size is 0 */
	uint64_t initrd_size; /* 0: no initrd */
	uint64_t kernel_end;  /* from x86_load_elf: the initrd must lie above it */
};

/* Writes the zero page at X86_ZERO_PAGE_GPA and the command line at
 * X86_CMDLINE_GPA. -E2BIG if the command line with its NUL exceeds
 * X86_CMDLINE_MAX, -EINVAL for an initrd outside RAM or over the kernel,
 * -EFAULT if low memory is missing. */
int x86_setup_bootparams(const struct guest_mem *m, const struct x86_boot_cfg *cfg);

/* Fills at most max entries of the e820 map for m. Returns the count or -errno. */
int x86_build_e820(const struct guest_mem *m, struct x86_e820_entry *e, unsigned max);

/* Chooses where an initrd of size bytes goes: page-aligned, as high as possible in
 * low RAM below X86_INITRD_ADDR_MAX, above kernel_end. -ENOMEM if it does not fit. */
int x86_initrd_place(const struct guest_mem *m, uint64_t kernel_end, uint64_t size,
		     uint64_t *gpa);

/* Reads the whole initrd file fd into guest memory at x86_initrd_place's choice. */
int x86_load_initrd(const struct guest_mem *m, int fd, uint64_t kernel_end, uint64_t *gpa,
		    uint64_t *size);

/* --- mptable.c --- */

/* Writes the MP floating pointer and config table at X86_MPTABLE_GPA: ncpus
 * processors (APIC id = index, BSP 0), one ISA bus, one IOAPIC (id ncpus) with
 * all X86_IOAPIC_PINS pins routed identity from ISA IRQs, ExtINT on LINT0 and NMI
 * on LINT1. -EINVAL unless 1 <= ncpus <= X86_MAX_CPUS. */
int x86_setup_mptable(const struct guest_mem *m, unsigned ncpus);

/* --- regs.c --- */

/* Identity page tables for the first X86_IDENT_MAP_GIB GiB at X86_PML4_GPA. */
int x86_setup_pagetables(const struct guest_mem *m);
/* The boot GDT at X86_GDT_GPA. */
int x86_setup_gdt(const struct guest_mem *m);

/* A GDT descriptor: access byte (P, DPL, S, type), flags nibble (G, D/B, L, AVL). */
uint64_t x86_gdt_entry(uint8_t access, uint8_t flags, uint32_t base, uint32_t limit);
/* The KVM view of descriptor desc loaded through selector sel. */
void x86_seg_from_gdt(uint64_t desc, uint16_t sel, struct kvm_segment *s);

/* Long mode, paging on, boot GDT, CS/DS: changes only what the boot protocol
 * needs in sregs as read from KVM_GET_SREGS. */
void x86_boot_sregs(struct kvm_sregs *s);
void x86_boot_regs(struct kvm_regs *r, uint64_t entry, uint64_t boot_params_gpa);
void x86_boot_fpu(struct kvm_fpu *f);
/* Fills the boot MSR values; returns how many (at most max). */
unsigned x86_boot_msrs(struct kvm_msr_entry *e, unsigned max);
/* LINT0 ExtINT, LINT1 NMI, both unmasked (the virtual-wire mode the MP table says). */
void x86_lapic_set_lints(struct kvm_lapic_state *l);

/* KVM_SET_SREGS, KVM_SET_REGS, KVM_SET_FPU for the boot vCPU. */
int x86_setup_regs(int vcpu_fd, uint64_t entry, uint64_t boot_params_gpa);
/* KVM_SET_MSRS with x86_boot_msrs; -EIO if KVM refused one. */
int x86_setup_msrs(int vcpu_fd);
/* KVM_GET_LAPIC/KVM_SET_LAPIC with x86_lapic_set_lints (needs the irqchip). */
int x86_setup_lapic(int vcpu_fd);
/* Per vCPU after x86_setup_cpuid: MSRs on every vCPU; on the BSP also the LAPIC
 * LINTs and the registers for entry with RSI = boot_params_gpa. */
int x86_setup_vcpu(int vcpu_fd, uint64_t entry, uint64_t boot_params_gpa, bool bsp);

/* --- cpuid.c --- */

/* x86_cpuid_fixup flags: what KVM emulates but leaves out of
 * KVM_GET_SUPPORTED_CPUID, as KVM_CHECK_EXTENSION reports it. */
#define X86_CPUID_TSC_DEADLINE (1u << 0) /* KVM_CAP_TSC_DEADLINE_TIMER */

/* Adjusts KVM_GET_SUPPORTED_CPUID output for vCPU cpu_index of ncpus: APIC ids,
 * topology (leaves 1, 4, 0xB, 0x1F, AMD 0x80000008/0x8000001E), the hypervisor
 * bit, the TSC-deadline bit if flags say so, a self-consistent XSAVE leaf 0xD
 * and the KVM signature leaves. c has room for max entries; topology subleaves
 * may be added. -EINVAL for bad indices, -ENOSPC if out of room. */
int x86_cpuid_fixup(struct kvm_cpuid2 *c, unsigned max, unsigned cpu_index, unsigned ncpus,
		    unsigned flags);

/* The XCR0 a guest enables on CPUID c: leaf 0xD.0 EDX:EAX, or 0 if c offers
 * no usable XSAVE. */
uint64_t x86_cpuid_xcr0(const struct kvm_cpuid2 *c);

/* KVM_GET_SUPPORTED_CPUID on kvm_fd, x86_cpuid_fixup (with the flags KVM's
 * capabilities allow), KVM_SET_CPUID2 on vcpu_fd, then KVM_SET_XCRS with
 * x86_cpuid_xcr0 where KVM has KVM_CAP_XCRS. */
int x86_setup_cpuid(int kvm_fd, int vcpu_fd, unsigned cpu_index, unsigned ncpus);

#endif
