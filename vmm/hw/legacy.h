/* The two tiny port-I/O devices a microVM needs besides the UART: the i8042's
 * reset line (the guest's `reboot=k` ends the VM) and the boot-time marker the
 * guest init writes when it is up (timed against the VMM's own start). */
#ifndef RUNVM_VMM_HW_LEGACY_H
#define RUNVM_VMM_HW_LEGACY_H

#include <stdint.h>

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64
#define I8042_CMD_RESET 0xfe

#define MARKER_PORT 0x3f0
#define MARKER_MAGIC 123 /* the byte guest init writes once it is up */

struct i8042 {
	void (*reset)(void *arg); /* called on a CPU reset request */
	void *arg;
};

struct marker {
	uint64_t start_ns;        /* the VMM's start */
	uint64_t hit_ns;          /* first marker write, 0 until then */
	int log;                  /* print the boot time when hit */
	void (*hit)(void *arg, uint64_t ns_since_start);
	void *arg;
};

void i8042_read(void *opaque, uint64_t off, void *data, unsigned len);
void i8042_write(void *opaque, uint64_t off, void *data, unsigned len);
void marker_read(void *opaque, uint64_t off, void *data, unsigned len);
void marker_write(void *opaque, uint64_t off, void *data, unsigned len);

#endif
