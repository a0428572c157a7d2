/* The vmlinux loader: an ELF64 x86_64 executable whose PT_LOAD segments go to
 * their physical addresses. vmlinux links at the high kernel map (p_vaddr
 * 0xffffffff81000000) but p_paddr and e_entry are physical, which is what the
 * 64-bit boot protocol enters with paging identity-mapped. */
#include "vmm/x86/boot.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* vmlinux has a handful; the bound keeps the header table on the stack. */
#define ELF_MAX_PHDRS 64

/* pread until done: 0, -errno, or -ENOEXEC if the file ends early. */
static int elf_pread_full(int fd, void *buf, uint64_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOEXEC;
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int elf_check_ehdr(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT)
		return -ENOEXEC;
	if (eh->e_machine != EM_X86_64 || eh->e_type != ET_EXEC)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHDRS)
		return -ENOEXEC;
	return 0;
}

/* Checks one PT_LOAD against the file and guest RAM; our boot structures live
 * below 1 MiB, so a segment there would be overwritten by them. */
static int elf_check_load(const struct guest_mem *m, const Elf64_Phdr *ph, uint64_t file_size)
{
	if (ph->p_filesz > ph->p_memsz)
		return -ENOEXEC;
	if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
		return -ENOEXEC;
	if (ph->p_paddr < X86_HIMEM_GPA)
		return -ERANGE;
	if (!mem_ptr(m, ph->p_paddr, ph->p_memsz))
		return -ERANGE;
	return 0;
}

static int elf_load_segment(const struct guest_mem *m, int fd, const Elf64_Phdr *ph)
{
	uint8_t *dst = mem_ptr(m, ph->p_paddr, ph->p_memsz);
	int err;

	if (!dst)
		return -ERANGE;
	err = elf_pread_full(fd, dst, ph->p_filesz, ph->p_offset);
	if (err)
		return err;
	/* Guest RAM may be reused across loads in tests; bss must really be zero. */
	memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	return 0;
}

/* e_entry is physical for vmlinux (phys_startup_64); accept a virtual one too by
 * translating it through the segment that contains it. */
static int elf_entry(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uint64_t *entry)
{
	uint64_t e = eh->e_entry;

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && e >= ph[i].p_paddr &&
		    e - ph[i].p_paddr < ph[i].p_memsz) {
			*entry = e;
			return 0;
		}
	}
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && e >= ph[i].p_vaddr &&
		    e - ph[i].p_vaddr < ph[i].p_memsz) {
			*entry = e - ph[i].p_vaddr + ph[i].p_paddr;
			return 0;
		}
	}
	return -ENOEXEC;
}

int x86_load_elf(const struct guest_mem *m, int fd, uint64_t *entry, uint64_t *kernel_end)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[ELF_MAX_PHDRS];
	struct stat st;
	uint64_t end = 0;
	unsigned nload = 0;
	int err;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < sizeof(eh))
		return -ENOEXEC;
	err = elf_pread_full(fd, &eh, sizeof(eh), 0);
	if (err == 0)
		err = elf_check_ehdr(&eh);
	if (err == 0 && (eh.e_phoff > (uint64_t)st.st_size ||
			 (uint64_t)eh.e_phnum * sizeof(ph[0]) > (uint64_t)st.st_size - eh.e_phoff))
		err = -ENOEXEC;
	if (err == 0)
		err = elf_pread_full(fd, ph, eh.e_phnum * sizeof(ph[0]), eh.e_phoff);
	if (err)
		return err;
	/* Validate every segment before writing any, so a bad file leaves RAM alone. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
			continue;
		err = elf_check_load(m, &ph[i], (uint64_t)st.st_size);
		if (err)
			return err;
		if (ph[i].p_paddr + ph[i].p_memsz > end)
			end = ph[i].p_paddr + ph[i].p_memsz;
		nload++;
	}
	if (nload == 0)
		return -ENOEXEC;
	err = elf_entry(&eh, ph, entry);
	for (unsigned i = 0; err == 0 && i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_memsz > 0)
			err = elf_load_segment(m, fd, &ph[i]);
	}
	if (err)
		return err;
	*kernel_end = end;
	return 0;
}
