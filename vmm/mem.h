/* Guest RAM: one memfd (so vhost-user backends can map it), mapped once with
 * MAP_NORESERVE, split around the 32-bit MMIO hole. mem_ptr() is the single,
 * bounds-checked way from a guest-physical address to host memory. */
#ifndef RUNVM_VMM_MEM_H
#define RUNVM_VMM_MEM_H

#include <stdbool.h>
#include <stdint.h>

/* Guest-physical layout (x86): RAM from 0 up to the hole, then above 4 GiB. */
#define MEM_HOLE_START 0xC0000000ull /* 3 GiB: MMIO devices, IOAPIC, LAPIC live here */
#define MEM_HOLE_END 0x100000000ull  /* 4 GiB */
#define MEM_MAX_REGIONS 2

struct mem_region {
	uint64_t gpa;    /* guest-physical start */
	uint64_t size;   /* bytes */
	uint8_t *host;   /* host address of gpa */
	uint64_t offset; /* offset of gpa within the memfd */
};

struct guest_mem {
	int fd;          /* memfd backing all of RAM, or -1 for fake memory in tests */
	uint8_t *base;   /* the whole mapping (munmap'ed by mem_fini) */
	uint64_t size;   /* total RAM bytes */
	unsigned nr;     /* regions used */
	struct mem_region r[MEM_MAX_REGIONS];
};

/* Creates the memfd and mapping for `bytes` of RAM. 0 or -errno. */
int mem_init(struct guest_mem *m, uint64_t bytes);
void mem_fini(struct guest_mem *m);

/* Test helper: describes caller-owned buf as RAM at guest-physical 0. */
void mem_init_fake(struct guest_mem *m, void *buf, uint64_t size);

/* Host pointer for [gpa, gpa+len), or NULL if any byte of it is outside one RAM
 * region (including arithmetic overflow). len 0 is checked as len 1. */
void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* The highest guest-physical address + 1 that is RAM. */
uint64_t mem_end(const struct guest_mem *m);

#endif
