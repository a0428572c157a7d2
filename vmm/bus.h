/* Address-space dispatch for vCPU exits: one bus for port I/O, one for MMIO.
 * Devices are registered before the vCPUs start and never change afterwards, so
 * lookups need no lock. */
#ifndef RUNVM_VMM_BUS_H
#define RUNVM_VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_DEVS 32

typedef void (*bus_io_fn)(void *opaque, uint64_t off, void *data, unsigned len);

struct bus_dev {
	uint64_t base, len;
	bus_io_fn read, write;
	void *opaque;
};

struct bus {
	unsigned nr;
	struct bus_dev devs[BUS_MAX_DEVS];
};

/* 0, -EBUSY on overlap, -ENOSPC when full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn read, bus_io_fn write,
		 void *opaque);

/* Dispatches an access; false when no device covers all of [addr, addr+len).
 * Unclaimed reads are filled with 0xff, as on real hardware. */
bool bus_access(const struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write);

#endif
