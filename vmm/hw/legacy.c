/* i8042 reset line and the boot-time marker port. */
#include "vmm/hw/legacy.h"

#include <string.h>

#include "common/util.h"

void i8042_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	/* Status 0: output buffer empty, input buffer empty (ready for a command). */
	memset(data, 0, len);
}

void i8042_write(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct i8042 *k = opaque;

	/* The device spans 0x60..0x64; off 4 is the command port. */
	if (off == I8042_CMD_PORT - I8042_DATA_PORT && *(uint8_t *)data == I8042_CMD_RESET)
		k->reset(k->arg);
}

void marker_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	memset(data, 0, len);
}

void marker_write(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct marker *m = opaque;
	uint64_t now;

	if (*(uint8_t *)data != MARKER_MAGIC)
		return;
	now = util_now_ns();
	/* Only the first hit counts; vCPUs may race, a lost tie is harmless. */
	if (__atomic_exchange_n(&m->hit_ns, now, __ATOMIC_ACQ_REL) != 0)
		return;
	if (m->hit)
		m->hit(m->arg, now - m->start_ns);
}
