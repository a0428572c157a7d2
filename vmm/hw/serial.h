/* A 16550A UART as the guest's ttyS0: transmit only (the guest console), with the
 * THRE interrupt the Linux 8250 driver needs to keep writing. */
#ifndef RUNVM_VMM_HW_SERIAL_H
#define RUNVM_VMM_HW_SERIAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_COM1_PORT 0x3f8
#define SERIAL_COM1_IRQ 4
#define SERIAL_TAIL 2048 /* console bytes kept for a post-mortem */

struct serial {
	pthread_mutex_t lock;
	int out_fd;             /* -1: output discarded */
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	int thr_ipending;       /* a THRE interrupt is owed to the guest */
	int irq_level;
	void (*set_irq)(void *arg, int level);
	void *irq_arg;
	unsigned buf_len;
	char buf[256];          /* output is written a line at a time */
	unsigned tail_len;      /* bytes ever sent, for the ring below */
	char tail[SERIAL_TAIL]; /* the last output, kept even when discarded */
};

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, int), void *irq_arg);
void serial_fini(struct serial *s); /* flushes */
void serial_flush(struct serial *s);
/* Copies the last console output (at most size - 1 bytes, NUL-terminated) to out;
 * returns its length. */
size_t serial_tail(struct serial *s, char *out, size_t size);
void serial_read(void *opaque, uint64_t off, void *data, unsigned len);
void serial_write(void *opaque, uint64_t off, void *data, unsigned len);

#endif
