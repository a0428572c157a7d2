/* Unit tests for vmm/x86 boot structures on fake guest memory: the vmlinux ELF
 * loader, the zero page and e820 map, initrd placement, page tables and GDT,
 * the pure register/MSR/LAPIC fillers, and the MP table. No KVM needed. */
#include "tests/unit/tap.h"
#include "vmm/mem.h"
#include "vmm/x86/boot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024ull * 1024)
#define RAM_SIZE (64 * MIB)
#define KBASE (16 * MIB)
#define KVIRT 0xffffffff81000000ull

static uint8_t *ram;
static struct guest_mem mem;

static uint64_t rdm(const struct guest_mem *m, uint64_t gpa, unsigned len)
{
	uint64_t v = 0;
	void *p = mem_ptr(m, gpa, len);

	if (p)
		memcpy(&v, p, len);
	return v;
}

static uint64_t rd(uint64_t gpa, unsigned len)
{
	return rdm(&mem, gpa, len);
}

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("x86boot-test", MFD_CLOEXEC);

	if (fd >= 0 && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return fd;
}

/* --- ELF loader --- */

struct test_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	uint8_t text[0x100];
	uint8_t data[0x80];
};

/* A vmlinux-shaped image: text+bss at 16 MiB, data at 18 MiB, a PT_NOTE. */
static void elf_build(struct test_elf *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->eh.e_ident, ELFMAG, SELFMAG);
	e->eh.e_ident[EI_CLASS] = ELFCLASS64;
	e->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	e->eh.e_ident[EI_VERSION] = EV_CURRENT;
	e->eh.e_type = ET_EXEC;
	e->eh.e_machine = EM_X86_64;
	e->eh.e_version = EV_CURRENT;
	e->eh.e_entry = KBASE;
	e->eh.e_phoff = offsetof(struct test_elf, ph);
	e->eh.e_ehsize = sizeof(Elf64_Ehdr);
	e->eh.e_phentsize = sizeof(Elf64_Phdr);
	e->eh.e_phnum = 3;
	e->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct test_elf, text),
				 .p_vaddr = KVIRT, .p_paddr = KBASE, .p_filesz = sizeof(e->text),
				 .p_memsz = 0x2000 };
	e->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = offsetof(struct test_elf, data),
				 .p_vaddr = KVIRT + 2 * MIB, .p_paddr = KBASE + 2 * MIB,
				 .p_filesz = sizeof(e->data), .p_memsz = sizeof(e->data) };
	e->ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0, .p_filesz = 4 };
	memset(e->text, 0xc3, sizeof(e->text));
	memset(e->data, 0x5a, sizeof(e->data));
}

static int elf_try(const struct test_elf *e, size_t len, uint64_t *entry, uint64_t *end)
{
	int fd = memfd_with(e, len), err;

	if (fd < 0)
		return -999;
	err = x86_load_elf(&mem, fd, entry, end);
	close(fd);
	return err;
}

static void test_elf_valid(void)
{
	struct test_elf e;
	uint64_t entry = 0, end = 0;

	elf_build(&e);
	memset(ram, 0xaa, RAM_SIZE);
	is_int(elf_try(&e, sizeof(e), &entry, &end), 0, "elf: valid image loads");
	is_int(entry, KBASE, "elf: physical e_entry kept");
	is_int(end, KBASE + 2 * MIB + sizeof(e.data), "elf: kernel_end is the highest segment end");
	ok(ram[KBASE] == 0xc3 && ram[KBASE + 0xff] == 0xc3, "elf: text copied to p_paddr");
	ok(ram[KBASE + 0x100] == 0 && ram[KBASE + 0x1fff] == 0, "elf: bss zeroed");
	ok(ram[KBASE + 0x2000] == 0xaa, "elf: nothing written past p_memsz");
	ok(ram[KBASE + 2 * MIB] == 0x5a, "elf: second segment copied");

	e.eh.e_entry = KVIRT + 0x40;
	is_int(elf_try(&e, sizeof(e), &entry, &end), 0, "elf: virtual e_entry accepted");
	is_int(entry, KBASE + 0x40, "elf: virtual e_entry translated through its segment");
}

static void test_elf_bad(void)
{
	struct test_elf e;
	uint64_t entry, end;

	elf_build(&e);
	e.eh.e_ident[1] = 'X';
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: bad magic");
	elf_build(&e);
	e.eh.e_machine = EM_386;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: wrong machine");
	elf_build(&e);
	e.eh.e_ident[EI_CLASS] = ELFCLASS32;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: 32-bit class");
	elf_build(&e);
	e.eh.e_type = ET_DYN;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: not ET_EXEC");
	elf_build(&e);
	e.eh.e_phnum = 0;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: no program headers");
	elf_build(&e);
	e.eh.e_phnum = 1000;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: phnum bounded");
	elf_build(&e);
	e.eh.e_phentsize = 32;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: wrong phentsize");
	elf_build(&e);
	is_int(elf_try(&e, 40, &entry, &end), -ENOEXEC, "elf: truncated header");
	elf_build(&e);
	e.eh.e_entry = 0x5000000;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: entry outside segments");
}

static void test_elf_segments(void)
{
	struct test_elf e;
	uint64_t entry, end;

	elf_build(&e);
	e.ph[0].p_filesz = e.ph[0].p_memsz + 1;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: filesz > memsz");
	elf_build(&e);
	e.ph[1].p_offset = sizeof(e) - 0x10;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: segment past EOF");
	elf_build(&e);
	e.ph[1].p_offset = UINT64_MAX - 4;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: offset overflow");
	elf_build(&e);
	e.ph[1].p_paddr = RAM_SIZE - 0x40;
	memset(ram, 0xaa, RAM_SIZE);
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ERANGE, "elf: segment past end of RAM");
	ok(ram[KBASE] == 0xaa, "elf: a rejected image writes nothing");
	elf_build(&e);
	e.ph[0].p_paddr = 0x7000;
	e.eh.e_entry = 0x7000;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ERANGE, "elf: segment below 1 MiB");
	elf_build(&e);
	e.ph[1].p_paddr = UINT64_MAX - 0x10;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ERANGE, "elf: paddr wraps");
	elf_build(&e);
	e.ph[0].p_type = PT_NULL;
	e.ph[1].p_type = PT_NULL;
	is_int(elf_try(&e, sizeof(e), &entry, &end), -ENOEXEC, "elf: no PT_LOAD");
}

/* The bytes at the entry point are the file's bytes for that address. */
static bool vmlinux_entry_matches(const struct guest_mem *m, int fd, uint64_t entry)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t want[64];
	const void *got = mem_ptr(m, entry, sizeof(want));

	if (!got || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			return false;
		if (ph.p_type != PT_LOAD || entry < ph.p_paddr || entry >= ph.p_paddr + ph.p_filesz)
			continue;
		if (pread(fd, want, sizeof(want), (off_t)(ph.p_offset + entry - ph.p_paddr)) !=
		    sizeof(want))
			return false;
		return memcmp(got, want, sizeof(want)) == 0;
	}
	return false;
}

/* The real guest kernel, when the build has produced it. */
static void test_elf_vmlinux(void)
{
	const char *path = getenv("RUNVM_VMLINUX") ? getenv("RUNVM_VMLINUX") : "build/vmlinux";
	const uint64_t size = 512 * MIB;
	struct guest_mem big;
	uint64_t entry = 0, end = 0;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0) {
		skip("no build/vmlinux (make kernel); set RUNVM_VMLINUX to test another");
		return;
	}
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	ok(buf != MAP_FAILED, "vmlinux: fake RAM mapped");
	if (buf == MAP_FAILED) {
		close(fd);
		return;
	}
	mem_init_fake(&big, buf, size);
	err = x86_load_elf(&big, fd, &entry, &end);
	is_int(err, 0, "vmlinux: loads");
	ok(entry >= X86_HIMEM_GPA && entry < end, "vmlinux: entry 0x%llx inside the image",
	   (unsigned long long)entry);
	ok(end > entry + MIB && end < size, "vmlinux: kernel_end 0x%llx sane",
	   (unsigned long long)end);
	ok(err == 0 && rdm(&big, entry, 8) != 0, "vmlinux: code at the entry point");
	ok(err == 0 && vmlinux_entry_matches(&big, fd, entry),
	   "vmlinux: entry bytes from the file");
	munmap(buf, size);
	close(fd);
}

/* --- zero page, command line, e820 --- */

static void test_bootparams(void)
{
	struct x86_boot_cfg cfg = { .cmdline = "console=ttyS0 reboot=k panic=1",
				    .initrd_gpa = 32 * MIB,
				    .initrd_size = 0x12345,
				    .kernel_end = KBASE + 4 * MIB };
	const uint64_t zp = X86_ZERO_PAGE_GPA;

	memset(ram, 0xaa, RAM_SIZE);
	is_int(x86_setup_bootparams(&mem, &cfg), 0, "bootparams: written");
	is_int(rd(zp + 0x1fe, 2), 0xaa55, "bootparams: boot_flag at 0x1fe");
	ok(memcmp(ram + zp + 0x202, "HdrS", 4) == 0, "bootparams: HdrS at 0x202");
	ok(rd(zp + 0x206, 2) >= 0x020c, "bootparams: protocol version has ext_* fields");
	is_int(rd(zp + 0x210, 1), 0xff, "bootparams: type_of_loader undefined");
	ok(rd(zp + 0x211, 1) & 0x01, "bootparams: LOADED_HIGH");
	is_int(rd(zp + 0x228, 4), X86_CMDLINE_GPA, "bootparams: cmd_line_ptr");
	is_int(rd(zp + 0xc8, 4), 0, "bootparams: ext_cmd_line_ptr");
	is_str((char *)ram + X86_CMDLINE_GPA, cfg.cmdline, "bootparams: command line copied");
	is_int(rd(X86_CMDLINE_GPA + X86_CMDLINE_MAX - 1, 1), 0, "bootparams: cmdline area zeroed");
	is_int(rd(zp + 0x218, 4), 32 * MIB, "bootparams: ramdisk_image");
	is_int(rd(zp + 0x21c, 4), 0x12345, "bootparams: ramdisk_size");
	is_int(rd(zp + 0xc0, 4) | rd(zp + 0xc4, 4), 0, "bootparams: ext_ramdisk_* zero below 4G");
	is_int(rd(zp + 0x1ef, 1), 0, "bootparams: sentinel clear");
	is_int(rd(zp + 0x000, 8), 0, "bootparams: rest of the page zeroed");
	is_int(rd(zp + 0x1e8, 1), 3, "bootparams: three e820 entries for 64 MiB");
	is_int(rd(zp + 0x2d0, 8), 0, "e820[0] starts at 0");
	is_int(rd(zp + 0x2d8, 8), X86_EBDA_GPA, "e820[0] ends at the EBDA");
	is_int(rd(zp + 0x2e0, 4), X86_E820_RAM, "e820[0] is RAM");
	is_int(rd(zp + 0x2e4, 8), X86_EBDA_GPA, "e820[1] is the EBDA..1M window");
	is_int(rd(zp + 0x2e4 + 8, 8), X86_HIMEM_GPA - X86_EBDA_GPA, "e820[1] size");
	is_int(rd(zp + 0x2e4 + 16, 4), X86_E820_RESERVED, "e820[1] reserved");
	is_int(rd(zp + 0x2f8, 8), X86_HIMEM_GPA, "e820[2] starts at 1 MiB");
	is_int(rd(zp + 0x300, 8), RAM_SIZE - X86_HIMEM_GPA, "e820[2] runs to the end of RAM");
	is_int(rd(zp + 0x308, 4), X86_E820_RAM, "e820[2] is RAM");
}

static void test_bootparams_errors(void)
{
	static char line[X86_CMDLINE_MAX + 1];
	struct x86_boot_cfg cfg = { .cmdline = line, .kernel_end = KBASE + 4 * MIB };

	memset(line, 'x', X86_CMDLINE_MAX - 1);
	line[X86_CMDLINE_MAX - 1] = 0;
	is_int(x86_setup_bootparams(&mem, &cfg), 0, "cmdline: exactly X86_CMDLINE_MAX with NUL");
	is_int(strlen((char *)ram + X86_CMDLINE_GPA), X86_CMDLINE_MAX - 1, "cmdline: all copied");
	is_int(rd(X86_ZERO_PAGE_GPA + 0x21c, 4), 0, "bootparams: no initrd, ramdisk_size 0");
	line[X86_CMDLINE_MAX - 1] = 'x';
	is_int(x86_setup_bootparams(&mem, &cfg), -E2BIG, "cmdline: one over the limit");
	cfg.cmdline = NULL;
	is_int(x86_setup_bootparams(&mem, &cfg), 0, "cmdline: NULL means empty");
	is_int(rd(X86_CMDLINE_GPA, 1), 0, "cmdline: empty string written");
	cfg.initrd_gpa = KBASE + 2 * MIB;
	cfg.initrd_size = 4096;
	is_int(x86_setup_bootparams(&mem, &cfg), -EINVAL, "bootparams: initrd over the kernel");
	cfg.initrd_gpa = RAM_SIZE - 4096;
	cfg.initrd_size = 8192;
	is_int(x86_setup_bootparams(&mem, &cfg), -EINVAL, "bootparams: initrd past RAM");
}

/* Two regions as mem_init lays out more than 3 GiB: low RAM and RAM above 4 GiB.
 * The high region is a small host buffer standing in for guest memory there. */
static void test_bootparams_high(void)
{
	static uint8_t high[2 * 4096];
	struct guest_mem m = mem;
	struct x86_boot_cfg cfg = { .cmdline = "x", .initrd_gpa = MEM_HOLE_END,
				    .initrd_size = 4096, .kernel_end = KBASE };
	struct x86_e820_entry e[8];
	const uint64_t zp = X86_ZERO_PAGE_GPA;

	m.nr = 2;
	m.r[1] = (struct mem_region){ .gpa = MEM_HOLE_END, .size = sizeof(high), .host = high };
	is_int(x86_build_e820(&m, e, 8), 4, "e820: four entries with high RAM");
	ok(e[3].addr == MEM_HOLE_END && e[3].size == sizeof(high) && e[3].type == X86_E820_RAM,
	   "e820: RAM above 4 GiB");
	is_int(x86_build_e820(&m, e, 3), -ENOSPC, "e820: table too small");
	is_int(x86_setup_bootparams(&m, &cfg), 0, "bootparams: initrd above 4 GiB");
	is_int(rd(zp + 0x218, 4), 0, "bootparams: ramdisk_image low half");
	is_int(rd(zp + 0xc0, 4), 1, "bootparams: ext_ramdisk_image high half");
	is_int(rd(zp + 0x1e8, 1), 4, "bootparams: e820_entries counts high RAM");
}

/* --- initrd --- */

static void test_initrd_place(void)
{
	uint64_t gpa = 0, size = 0;
	const uint64_t kend = 24 * MIB;
	static const char blob[] = "070701initrd-bytes";
	int fd;

	is_int(x86_initrd_place(&mem, kend, MIB + 5, &gpa), 0, "initrd: fits");
	ok(gpa % 4096 == 0 && gpa >= kend && gpa + MIB + 5 <= RAM_SIZE,
	   "initrd: page-aligned, above the kernel, inside RAM");
	ok(gpa + MIB + 5 > RAM_SIZE - 4096, "initrd: at the top of low RAM");
	is_int(x86_initrd_place(&mem, kend, RAM_SIZE - kend, &gpa), 0, "initrd: exact fit");
	is_int(gpa, kend, "initrd: exact fit starts at kernel_end");
	is_int(x86_initrd_place(&mem, kend, RAM_SIZE - kend + 1, &gpa), -ENOMEM,
	       "initrd: one byte too many");
	is_int(x86_initrd_place(&mem, kend + 1, RAM_SIZE - kend - 4095, &gpa), -ENOMEM,
	       "initrd: never shares a page with the kernel");
	is_int(x86_initrd_place(&mem, kend, 2 * RAM_SIZE, &gpa), -ENOMEM,
	       "initrd: bigger than RAM");
	is_int(x86_initrd_place(&mem, kend, 0, &gpa), -EINVAL, "initrd: empty");

	fd = memfd_with(blob, sizeof(blob));
	is_int(x86_load_initrd(&mem, fd, kend, &gpa, &size), 0, "initrd: loaded from a file");
	is_int(size, sizeof(blob), "initrd: size is the file size");
	ok(mem_ptr(&mem, gpa, size) && memcmp(ram + gpa, blob, size) == 0, "initrd: bytes copied");
	close(fd);
	fd = memfd_with("", 0);
	is_int(x86_load_initrd(&mem, fd, kend, &gpa, &size), -EINVAL, "initrd: empty file");
	close(fd);
}

/* Low RAM past 2 GiB: the initrd still ends below X86_INITRD_ADDR_MAX. */
static void test_initrd_limit(void)
{
	const uint64_t size = 3 * 1024 * MIB;
	struct guest_mem m;
	uint64_t gpa = 0;
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (buf == MAP_FAILED) {
		skip("cannot reserve 3 GiB of address space");
		return;
	}
	mem_init_fake(&m, buf, size);
	is_int(x86_initrd_place(&m, KBASE, 8 * MIB, &gpa), 0, "initrd: placed in 3 GiB RAM");
	ok(gpa + 8 * MIB - 1 <= X86_INITRD_ADDR_MAX && gpa + 8 * MIB > X86_INITRD_ADDR_MAX - MIB,
	   "initrd: just below initrd_addr_max");
	munmap(buf, size);
}

/* --- page tables, GDT, registers --- */

/* Walks the guest page tables the way the MMU would for a 2 MiB mapping. */
static uint64_t walk(uint64_t va)
{
	uint64_t pml4e = rd(X86_PML4_GPA + ((va >> 39) & 511) * 8, 8);
	uint64_t pdpte, pde;

	if (!(pml4e & 1))
		return UINT64_MAX;
	pdpte = rd((pml4e & ~0xfffull) + ((va >> 30) & 511) * 8, 8);
	if (!(pdpte & 1) || (pdpte & 0x80))
		return UINT64_MAX;
	pde = rd((pdpte & ~0xfffull) + ((va >> 21) & 511) * 8, 8);
	if (!(pde & 1) || !(pde & 0x80))
		return UINT64_MAX;
	return (pde & ~0x1fffffull) + (va & 0x1fffff);
}

static void test_pagetables(void)
{
	memset(ram, 0xaa, RAM_SIZE);
	is_int(x86_setup_pagetables(&mem), 0, "pagetables: written");
	is_int(rd(X86_PML4_GPA, 8), X86_PDPT_GPA | 3, "PML4[0] -> PDPT, present, writable");
	is_int(rd(X86_PML4_GPA + 8, 8), 0, "PML4[1] empty");
	is_int(rd(X86_PDPT_GPA + 3 * 8, 8), (X86_PD_GPA + 3 * 4096) | 3, "PDPT[3] -> fourth PD");
	is_int(rd(X86_PDPT_GPA + 4 * 8, 8), 0, "PDPT[4] empty");
	is_int(rd(X86_PD_GPA, 8), 0x83, "PD[0]: 2 MiB page at 0, PS");
	is_int(rd(X86_PD_GPA + 8, 8), 0x200083, "PD[1]: 2 MiB page at 2 MiB");
	is_int(rd(X86_PD_GPA + 2047 * 8, 8), 0xffe00083ull, "last PD entry maps 4 GiB - 2 MiB");
	is_int(walk(KBASE + 0x1234), KBASE + 0x1234, "identity: kernel");
	is_int(walk(X86_ZERO_PAGE_GPA), X86_ZERO_PAGE_GPA, "identity: zero page");
	is_int(walk(0xbfffffffull), 0xbfffffffull, "identity: top of low RAM");
	is_int(walk(1ull << 32), UINT64_MAX, "4 GiB and up unmapped");
	ok(X86_PD_GPA + 4096ull * X86_IDENT_MAP_GIB <= X86_CMDLINE_GPA &&
		   X86_ZERO_PAGE_GPA + 4096 <= X86_BOOT_STACK_GPA - 0xff0 &&
		   X86_BOOT_STACK_GPA < X86_PML4_GPA,
	   "layout: page tables, zero page, stack and cmdline do not overlap");
}

static void test_gdt(void)
{
	struct kvm_segment s;
	struct kvm_sregs sr;

	is_int(x86_setup_gdt(&mem), 0, "gdt: written");
	is_int(rd(X86_GDT_GPA, 8) | rd(X86_GDT_GPA + 8, 8), 0, "gdt: two null entries");
	is_int(rd(X86_GDT_GPA + X86_BOOT_CS, 8), 0x00af9b000000ffffull, "gdt: 64-bit code at 0x10");
	is_int(rd(X86_GDT_GPA + X86_BOOT_DS, 8), 0x00cf93000000ffffull, "gdt: flat data at 0x18");
	x86_seg_from_gdt(rd(X86_GDT_GPA + X86_BOOT_CS, 8), X86_BOOT_CS, &s);
	ok(s.base == 0 && s.limit == 0xffffffff && s.l == 1 && s.db == 0 && s.g == 1 &&
		   s.type == 0xb && s.s == 1 && s.present == 1 && s.dpl == 0 && !s.unusable,
	   "gdt: code decodes to flat 64-bit execute/read");
	x86_seg_from_gdt(rd(X86_GDT_GPA + X86_BOOT_DS, 8), X86_BOOT_DS, &s);
	ok(s.base == 0 && s.limit == 0xffffffff && s.l == 0 && s.db == 1 && s.type == 3,
	   "gdt: data decodes to flat read/write");
	x86_seg_from_gdt(x86_gdt_entry(0x93, 0, 0x12345678, 0xabcde), 0x28, &s);
	ok(s.base == 0x12345678 && s.limit == 0xabcde && s.g == 0 && s.selector == 0x28,
	   "gdt: base and byte-granular limit round-trip");

	memset(&sr, 0, sizeof(sr));
	x86_boot_sregs(&sr);
	x86_seg_from_gdt(rd(X86_GDT_GPA + X86_BOOT_CS, 8), X86_BOOT_CS, &s);
	ok(memcmp(&s, &sr.cs, sizeof(s)) == 0, "sregs: CS matches the GDT in memory");
	ok(sr.ds.selector == X86_BOOT_DS && sr.ss.selector == X86_BOOT_DS &&
		   sr.es.selector == X86_BOOT_DS && sr.fs.selector == X86_BOOT_DS &&
		   sr.gs.selector == X86_BOOT_DS,
	   "sregs: data selectors are __BOOT_DS");
	ok(sr.gdt.base == X86_GDT_GPA && sr.gdt.limit == 31 && sr.idt.limit == 0,
	   "sregs: GDT loaded, no IDT");
	ok((sr.cr0 & 0x80000001) == 0x80000001 && (sr.cr4 & 0x20) && sr.efer == 0x500 &&
		   sr.cr3 == X86_PML4_GPA,
	   "sregs: long mode with paging and PAE");
	ok(sr.tr.type == 11 && sr.tr.present && !sr.tr.s, "sregs: a busy TSS for VM entry");
}

static void test_regs(void)
{
	struct kvm_regs r;
	struct kvm_fpu f;
	struct kvm_msr_entry e[16];
	struct kvm_lapic_state l;
	uint32_t lint0 = 0x10000 | (2u << 8) | 0x8000, lint1 = 0x10000, v0, v1;
	unsigned n;

	x86_boot_regs(&r, KBASE, X86_ZERO_PAGE_GPA);
	ok(r.rip == KBASE && r.rsi == X86_ZERO_PAGE_GPA && r.rflags == 2 &&
		   r.rsp == X86_BOOT_STACK_GPA && r.rax == 0,
	   "regs: RIP entry, RSI zero page, interrupts off");
	x86_boot_fpu(&f);
	ok(f.fcw == 0x37f && f.mxcsr == 0x1f80, "fpu: default control words");
	n = x86_boot_msrs(e, 16);
	is_int(n, 11, "msrs: eleven boot MSRs");
	ok(n == 11 && e[10].index == 0x2ff && e[10].data == 0x806, "msrs: MTRRs on, write-back");
	ok(n == 11 && e[9].index == 0x1a0 && (e[9].data & 1), "msrs: fast strings");
	is_int(x86_boot_msrs(e, 3), 3, "msrs: bounded by the buffer");
	memset(&l, 0, sizeof(l));
	memcpy(&l.regs[0x350], &lint0, 4);
	memcpy(&l.regs[0x360], &lint1, 4);
	x86_lapic_set_lints(&l);
	memcpy(&v0, &l.regs[0x350], 4);
	memcpy(&v1, &l.regs[0x360], 4);
	is_int(v0, 0x8700, "lapic: LINT0 ExtINT, unmasked, other bits kept");
	is_int(v1, 0x400, "lapic: LINT1 NMI, unmasked");
}

/* --- MP table --- */

static uint8_t sum8(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = mem_ptr(&mem, gpa, len);
	uint8_t s = 0;

	for (uint64_t i = 0; p && i < len; i++)
		s += p[i];
	return p ? s : 0xff;
}

struct mp_seen {
	unsigned cpus, bsps, enabled, ids_ok, buses, ioapics, ints, ints_ok, lints, bad;
	uint8_t ioapic_id;
	uint32_t ioapic_addr;
};

/* Walks the config table entries; returns the bytes consumed. */
static uint64_t mp_walk(uint64_t at, uint64_t end, unsigned ncpus, struct mp_seen *s)
{
	uint64_t start = at;

	while (at < end) {
		uint8_t type = (uint8_t)rd(at, 1);

		if (type == 0) {
			uint8_t id = (uint8_t)rd(at + 1, 1), fl = (uint8_t)rd(at + 3, 1);

			s->ids_ok += id == s->cpus;
			s->cpus++;
			s->enabled += fl & 1;
			s->bsps += (fl & 2) ? (id == 0 ? 1 : 100) : 0;
			at += 20;
			continue;
		}
		if (type == 1) {
			s->buses++;
			s->bad += memcmp(ram + at + 2, "ISA   ", 6) != 0;
		} else if (type == 2) {
			s->ioapics++;
			s->ioapic_id = (uint8_t)rd(at + 1, 1);
			s->ioapic_addr = (uint32_t)rd(at + 4, 4);
			s->bad += rd(at + 2, 1) != 0x11 || !(rd(at + 3, 1) & 1);
		} else if (type == 3) {
			/* src irq = dst pin = n, to the IOAPIC, type INT, ISA bus */
			s->ints_ok += rd(at + 5, 1) == s->ints && rd(at + 7, 1) == s->ints &&
				      rd(at + 6, 1) == ncpus && rd(at + 1, 1) == 0 &&
				      rd(at + 4, 1) == 0;
			s->ints++;
		} else if (type == 4) {
			/* LINT0 ExtINT (3), LINT1 NMI (1) */
			s->bad += rd(at + 7, 1) != s->lints || rd(at + 1, 1) != (s->lints ? 1 : 3);
			s->lints++;
		} else {
			s->bad++;
			break;
		}
		at += 8;
	}
	return at - start;
}

static void test_mptable_n(unsigned ncpus)
{
	const uint64_t mpf = X86_MPTABLE_GPA;
	uint64_t cfg, len;
	struct mp_seen s = { 0 };

	memset(ram + 0x90000, 0xaa, 0x70000);
	is_int(x86_setup_mptable(&mem, ncpus), 0, "mptable(%u): written", ncpus);
	ok(memcmp(ram + mpf, "_MP_", 4) == 0, "mptable(%u): _MP_ signature", ncpus);
	ok(mpf >= 639 * 1024 && mpf + 16 <= 640 * 1024, "mptable: in the last KiB below 640K");
	is_int(sum8(mpf, 16), 0, "mptable(%u): floating pointer checksum", ncpus);
	ok(rd(mpf + 8, 1) == 1 && rd(mpf + 9, 1) == 4, "mptable: length 1, spec 1.4");
	cfg = rd(mpf + 4, 4);
	ok(memcmp(ram + cfg, "PCMP", 4) == 0, "mptable(%u): PCMP at the pointer", ncpus);
	len = rd(cfg + 4, 2);
	is_int(sum8(cfg, len), 0, "mptable(%u): config table checksum", ncpus);
	is_int(rd(cfg + 36, 4), X86_LAPIC_GPA, "mptable: LAPIC address");
	is_int(rd(cfg + 34, 2), ncpus + 2 + 24 + 2, "mptable(%u): entry count", ncpus);
	is_int(mp_walk(cfg + 44, cfg + len, ncpus, &s), len - 44,
	       "mptable: entries fill the table");
	is_int(s.cpus, ncpus, "mptable(%u): one processor entry per vCPU", ncpus);
	ok(s.ids_ok == ncpus && s.enabled == ncpus, "mptable(%u): APIC id = index, enabled", ncpus);
	is_int(s.bsps, 1, "mptable(%u): BSP flag only on cpu 0", ncpus);
	ok(s.buses == 1 && s.ioapics == 1 && s.ioapic_id == ncpus &&
		   s.ioapic_addr == X86_IOAPIC_GPA,
	   "mptable(%u): ISA bus and IOAPIC (id %u)", ncpus, ncpus);
	ok(s.ints == 24 && s.ints_ok == 24, "mptable(%u): 24 ISA IRQs to IOAPIC pins 0..23", ncpus);
	ok(s.lints == 2 && s.bad == 0, "mptable(%u): ExtINT on LINT0, NMI on LINT1", ncpus);
	ok(cfg + len <= X86_HIMEM_GPA, "mptable(%u): inside the e820-reserved window", ncpus);
}

static void test_mptable(void)
{
	test_mptable_n(1);
	test_mptable_n(4);
	test_mptable_n(X86_MAX_CPUS);
	is_int(x86_setup_mptable(&mem, 0), -EINVAL, "mptable: zero CPUs");
	is_int(x86_setup_mptable(&mem, X86_MAX_CPUS + 1), -EINVAL, "mptable: too many CPUs");
}

int main(void)
{
	ram = calloc(1, RAM_SIZE);
	if (!ram) {
		printf("Bail out! no memory\n");
		return 1;
	}
	mem_init_fake(&mem, ram, RAM_SIZE);
	test_elf_valid();
	test_elf_bad();
	test_elf_segments();
	test_elf_vmlinux();
	test_bootparams();
	test_bootparams_errors();
	test_bootparams_high();
	test_initrd_place();
	test_initrd_limit();
	test_pagetables();
	test_gdt();
	test_regs();
	test_mptable();
	free(ram);
	return tap_done();
}
