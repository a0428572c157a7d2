/* 16550A UART emulation, transmit side. Registers per the PC16550D data sheet;
 * receive is absent (LSR never shows data ready), which the console does not need. */
#include "vmm/hw/serial.h"

#include <string.h>
#include <unistd.h>

#include "common/util.h"

enum { RBR_THR = 0, IER = 1, IIR_FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

#define LCR_DLAB 0x80
#define IER_THRI 0x02
#define IIR_NO_INT 0x01
#define IIR_THRI 0x02
#define IIR_FIFO_ON 0xc0
#define FCR_FIFO_EN 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MCR_LOOP 0x10
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_DCD 0x80

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, int), void *irq_arg)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->set_irq = set_irq;
	s->irq_arg = irq_arg;
	s->mcr = 0x08; /* OUT2: interrupts routed */
}

static void serial_flush_locked(struct serial *s)
{
	if (s->buf_len && s->out_fd >= 0)
		(void)util_write_full(s->out_fd, s->buf, s->buf_len);
	s->buf_len = 0;
}

void serial_flush(struct serial *s)
{
	pthread_mutex_lock(&s->lock);
	serial_flush_locked(s);
	pthread_mutex_unlock(&s->lock);
}

void serial_fini(struct serial *s)
{
	serial_flush(s);
	pthread_mutex_destroy(&s->lock);
}

/* ISA interrupts are edges: the line goes high when an interrupt becomes pending
 * and low when the guest has seen it. */
static void serial_update_irq(struct serial *s)
{
	int level = (s->ier & IER_THRI) && s->thr_ipending;

	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->set_irq)
			s->set_irq(s->irq_arg, level);
	}
}

static void serial_tx(struct serial *s, uint8_t c)
{
	s->tail[s->tail_len++ % SERIAL_TAIL] = (char)c;
	if (s->out_fd < 0)
		return;
	s->buf[s->buf_len++] = (char)c;
	if (c == '\n' || s->buf_len == sizeof(s->buf))
		serial_flush_locked(s);
}

size_t serial_tail(struct serial *s, char *out, size_t size)
{
	size_t n;

	if (!size)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->tail_len < SERIAL_TAIL ? s->tail_len : SERIAL_TAIL;
	if (n > size - 1)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = s->tail[(s->tail_len - n + i) % SERIAL_TAIL];
	pthread_mutex_unlock(&s->lock);
	out[n] = '\0';
	return n;
}

static uint8_t serial_msr(const struct serial *s)
{
	if (s->mcr & MCR_LOOP) /* loopback: modem outputs feed back as inputs */
		return (uint8_t)(((s->mcr & 0x0c) << 4) | ((s->mcr & 0x02) << 3) |
				 ((s->mcr & 0x01) << 5));
	return MSR_DCD | MSR_DSR | MSR_CTS;
}

static uint8_t serial_reg_read(struct serial *s, uint64_t reg)
{
	uint8_t v;

	switch (reg) {
	case RBR_THR:
		return (s->lcr & LCR_DLAB) ? s->dll : 0;
	case IER:
		return (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
	case IIR_FCR:
		v = ((s->ier & IER_THRI) && s->thr_ipending) ? IIR_THRI : IIR_NO_INT;
		if (v == IIR_THRI) /* reading IIR acknowledges a THRE interrupt */
			s->thr_ipending = 0;
		if (s->fcr & FCR_FIFO_EN)
			v |= IIR_FIFO_ON;
		serial_update_irq(s);
		return v;
	case LCR:
		return s->lcr;
	case MCR:
		return s->mcr;
	case LSR:
		return LSR_THRE | LSR_TEMT; /* we transmit instantly */
	case MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

static void serial_reg_write(struct serial *s, uint64_t reg, uint8_t v)
{
	switch (reg) {
	case RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = v;
			return;
		}
		serial_tx(s, v);
		s->thr_ipending = 1;
		break;
	case IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* Enabling THRI with an empty transmitter raises the interrupt at once. */
		if ((v & IER_THRI) && !(s->ier & IER_THRI))
			s->thr_ipending = 1;
		s->ier = v & 0x0f;
		break;
	case IIR_FCR:
		s->fcr = v;
		break;
	case LCR:
		s->lcr = v;
		break;
	case MCR:
		s->mcr = v & 0x1f;
		break;
	case SCR:
		s->scr = v;
		break;
	default:
		break;
	}
	serial_update_irq(s);
}

void serial_read(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct serial *s = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&s->lock);
	*(uint8_t *)data = serial_reg_read(s, off);
	pthread_mutex_unlock(&s->lock);
}

void serial_write(void *opaque, uint64_t off, void *data, unsigned len)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	serial_reg_write(s, off, *(uint8_t *)data);
	pthread_mutex_unlock(&s->lock);
}
