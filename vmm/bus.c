/* Linear-scan device buses: a VM has a handful of devices, so a scan beats any
 * structure in both code and time. */
#include "vmm/bus.h"

#include <errno.h>
#include <string.h>

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_io_fn read, bus_io_fn write,
		 void *opaque)
{
	if (len == 0 || base + len < base)
		return -EINVAL;
	for (unsigned i = 0; i < b->nr; i++) {
		const struct bus_dev *d = &b->devs[i];

		if (base < d->base + d->len && d->base < base + len)
			return -EBUSY;
	}
	if (b->nr == BUS_MAX_DEVS)
		return -ENOSPC;
	b->devs[b->nr++] = (struct bus_dev){ base, len, read, write, opaque };
	return 0;
}

bool bus_access(const struct bus *b, uint64_t addr, void *data, unsigned len, bool is_write)
{
	for (unsigned i = 0; i < b->nr; i++) {
		const struct bus_dev *d = &b->devs[i];

		if (addr < d->base || addr - d->base >= d->len || len > d->len - (addr - d->base))
			continue;
		bus_io_fn fn = is_write ? d->write : d->read;

		if (fn)
			fn(d->opaque, addr - d->base, data, len);
		else if (!is_write)
			memset(data, 0xff, len);
		return true;
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}
