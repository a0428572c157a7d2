/* The Linux boot protocol's zero page (struct boot_params) for a 64-bit entry:
 * the setup header a bootloader would have filled, the command line, the e820
 * map, and where the initrd goes. Only the fields we set are named; the offsets
 * follow Documentation/arch/x86/boot.rst and zero-page.rst and are checked below. */
#include "vmm/x86/boot.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BP_BOOT_FLAG 0xaa55
#define BP_HEADER_MAGIC 0x53726448 /* "HdrS" */
/* 2.15: every field we fill exists; the kernel reads the 64-bit ext_* halves. */
#define BP_VERSION 0x020f
#define BP_LOADER_UNDEFINED 0xff
#define BP_LOADED_HIGH 0x01
#define BP_CAN_USE_HEAP 0x80
#define BP_PAGE 4096ull

struct bp_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
} __attribute__((packed));

struct bp_zero_page {
	uint8_t pad0[0xc0];
	uint32_t ext_ramdisk_image;
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad1[0x1e8 - 0xcc];
	uint8_t e820_entries;
	uint8_t pad2[0x1f1 - 0x1e9]; /* includes the sentinel at 0x1ef: must stay 0 */
	struct bp_setup_header hdr;
	uint8_t pad3[0x2d0 - 0x23c];
	struct x86_e820_entry e820_table[X86_E820_MAX];
	uint8_t pad4[0x1000 - 0xcd0];
} __attribute__((packed));

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the zero page is little-endian");
static_assert(sizeof(struct x86_e820_entry) == 20, "e820 entry");
static_assert(sizeof(struct bp_zero_page) == 4096, "zero page size");
static_assert(offsetof(struct bp_zero_page, ext_ramdisk_image) == 0xc0, "ext_ramdisk_image");
static_assert(offsetof(struct bp_zero_page, ext_ramdisk_size) == 0xc4, "ext_ramdisk_size");
static_assert(offsetof(struct bp_zero_page, ext_cmd_line_ptr) == 0xc8, "ext_cmd_line_ptr");
static_assert(offsetof(struct bp_zero_page, e820_entries) == 0x1e8, "e820_entries");
static_assert(offsetof(struct bp_zero_page, hdr) == 0x1f1, "hdr");
static_assert(offsetof(struct bp_zero_page, hdr.boot_flag) == 0x1fe, "boot_flag");
static_assert(offsetof(struct bp_zero_page, hdr.header) == 0x202, "header");
static_assert(offsetof(struct bp_zero_page, hdr.version) == 0x206, "version");
static_assert(offsetof(struct bp_zero_page, hdr.type_of_loader) == 0x210, "type_of_loader");
static_assert(offsetof(struct bp_zero_page, hdr.loadflags) == 0x211, "loadflags");
static_assert(offsetof(struct bp_zero_page, hdr.ramdisk_image) == 0x218, "ramdisk_image");
static_assert(offsetof(struct bp_zero_page, hdr.ramdisk_size) == 0x21c, "ramdisk_size");
static_assert(offsetof(struct bp_zero_page, hdr.heap_end_ptr) == 0x224, "heap_end_ptr");
static_assert(offsetof(struct bp_zero_page, hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
static_assert(offsetof(struct bp_zero_page, hdr.initrd_addr_max) == 0x22c, "initrd_addr_max");
static_assert(offsetof(struct bp_zero_page, hdr.cmdline_size) == 0x238, "cmdline_size");
static_assert(offsetof(struct bp_zero_page, e820_table) == 0x2d0, "e820_table");

static int e820_add(struct x86_e820_entry *e, unsigned max, unsigned *n, uint64_t addr,
		    uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n >= max)
		return -ENOSPC;
	e[(*n)++] = (struct x86_e820_entry){ .addr = addr, .size = size, .type = type };
	return 0;
}

int x86_build_e820(const struct guest_mem *m, struct x86_e820_entry *e, unsigned max)
{
	unsigned n = 0;
	int err = 0;

	for (unsigned i = 0; err == 0 && i < m->nr; i++) {
		const struct mem_region *r = &m->r[i];

		if (r->gpa != 0) {
			err = e820_add(e, max, &n, r->gpa, r->size, X86_E820_RAM);
			continue;
		}
		/* Low RAM keeps the PC shape the kernel expects: the last KiB below
		 * 640K (EBDA, our MP table) and the legacy 640K-1M window reserved. */
		if (r->size <= X86_HIMEM_GPA)
			return -EINVAL;
		err = e820_add(e, max, &n, 0, X86_EBDA_GPA, X86_E820_RAM);
		if (err == 0)
			err = e820_add(e, max, &n, X86_EBDA_GPA, X86_HIMEM_GPA - X86_EBDA_GPA,
				       X86_E820_RESERVED);
		if (err == 0)
			err = e820_add(e, max, &n, X86_HIMEM_GPA, r->size - X86_HIMEM_GPA,
				       X86_E820_RAM);
	}
	return err ? err : (int)n;
}

/* Size of the RAM region at guest-physical 0: where 32-bit loaders' data goes. */
static uint64_t low_ram_end(const struct guest_mem *m)
{
	for (unsigned i = 0; i < m->nr; i++) {
		if (m->r[i].gpa == 0)
			return m->r[i].size;
	}
	return 0;
}

/* Lowest address an initrd may start at: above the kernel and our low structures. */
static uint64_t initrd_floor(uint64_t kernel_end)
{
	uint64_t floor = kernel_end > X86_HIMEM_GPA ? kernel_end : X86_HIMEM_GPA;

	if (floor > UINT64_MAX - BP_PAGE)
		return UINT64_MAX;
	return (floor + BP_PAGE - 1) & ~(BP_PAGE - 1);
}

int x86_initrd_place(const struct guest_mem *m, uint64_t kernel_end, uint64_t size,
		     uint64_t *gpa)
{
	uint64_t limit = low_ram_end(m), at;

	if (size == 0)
		return -EINVAL;
	/* The kernel never sees a bzImage header from us, so stay under the
	 * initrd_addr_max its bzImage would have declared. */
	if (limit > X86_INITRD_ADDR_MAX + 1)
		limit = X86_INITRD_ADDR_MAX + 1;
	if (size > limit)
		return -ENOMEM;
	at = (limit - size) & ~(BP_PAGE - 1);
	if (at < initrd_floor(kernel_end) || !mem_ptr(m, at, size))
		return -ENOMEM;
	*gpa = at;
	return 0;
}

static int bp_pread_full(int fd, uint8_t *p, uint64_t len)
{
	uint64_t off = 0;

	while (off < len) {
		ssize_t n = pread(fd, p + off, len - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file shrank under us */
		off += (uint64_t)n;
	}
	return 0;
}

int x86_load_initrd(const struct guest_mem *m, int fd, uint64_t kernel_end, uint64_t *gpa,
		    uint64_t *size)
{
	struct stat st;
	uint64_t at;
	uint8_t *dst;
	int err;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size <= 0)
		return -EINVAL;
	err = x86_initrd_place(m, kernel_end, (uint64_t)st.st_size, &at);
	if (err)
		return err;
	dst = mem_ptr(m, at, (uint64_t)st.st_size);
	if (!dst)
		return -ENOMEM;
	err = bp_pread_full(fd, dst, (uint64_t)st.st_size);
	if (err)
		return err;
	*gpa = at;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int bp_write_cmdline(const struct guest_mem *m, const char *cmdline)
{
	size_t len = strlen(cmdline);
	char *dst = mem_ptr(m, X86_CMDLINE_GPA, X86_CMDLINE_MAX);

	if (len + 1 > X86_CMDLINE_MAX)
		return -E2BIG;
	if (!dst)
		return -EFAULT;
	/* The kernel copies X86_CMDLINE_MAX bytes regardless of the string length. */
	memset(dst, 0, X86_CMDLINE_MAX);
	memcpy(dst, cmdline, len);
	return 0;
}

static void bp_fill_header(struct bp_setup_header *h)
{
	h->boot_flag = BP_BOOT_FLAG;
	h->header = BP_HEADER_MAGIC;
	h->version = BP_VERSION;
	h->type_of_loader = BP_LOADER_UNDEFINED;
	/* KEEP_SEGMENTS only matters for the 32-bit entry, and is obsolete since
	 * 2.15; the heap is only used by real-mode setup code, which we skip. */
	h->loadflags = BP_LOADED_HIGH | BP_CAN_USE_HEAP;
	h->heap_end_ptr = 0xfe00;
	h->cmd_line_ptr = (uint32_t)X86_CMDLINE_GPA;
	h->cmdline_size = X86_CMDLINE_MAX - 1;
	h->initrd_addr_max = (uint32_t)X86_INITRD_ADDR_MAX;
}

static int bp_check_initrd(const struct guest_mem *m, const struct x86_boot_cfg *cfg)
{
	if (cfg->initrd_size == 0)
		return 0;
	if (!mem_ptr(m, cfg->initrd_gpa, cfg->initrd_size))
		return -EINVAL;
	if (cfg->initrd_gpa < initrd_floor(cfg->kernel_end))
		return -EINVAL;
	return 0;
}

int x86_setup_bootparams(const struct guest_mem *m, const struct x86_boot_cfg *cfg)
{
	struct bp_zero_page *zp = mem_ptr(m, X86_ZERO_PAGE_GPA, sizeof(*zp));
	struct bp_zero_page bp;
	int n, err;

	if (!zp)
		return -EFAULT;
	err = bp_check_initrd(m, cfg);
	if (err)
		return err;
	err = bp_write_cmdline(m, cfg->cmdline ? cfg->cmdline : "");
	if (err)
		return err;
	memset(&bp, 0, sizeof(bp));
	bp_fill_header(&bp.hdr);
	bp.ext_cmd_line_ptr = (uint32_t)(X86_CMDLINE_GPA >> 32);
	if (cfg->initrd_size) {
		bp.hdr.ramdisk_image = (uint32_t)cfg->initrd_gpa;
		bp.ext_ramdisk_image = (uint32_t)(cfg->initrd_gpa >> 32);
		bp.hdr.ramdisk_size = (uint32_t)cfg->initrd_size;
		bp.ext_ramdisk_size = (uint32_t)(cfg->initrd_size >> 32);
	}
	n = x86_build_e820(m, bp.e820_table, X86_E820_MAX);
	if (n < 0)
		return n;
	bp.e820_entries = (uint8_t)n;
	memcpy(zp, &bp, sizeof(bp));
	return 0;
}
