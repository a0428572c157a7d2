/* Unit tests for the VMM's core pieces that need no KVM: guest memory translation
 * and layout, the device buses, the 16550A UART registers, and the event loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/tap.h"
#include "vmm/bus.h"
#include "vmm/ev.h"
#include "vmm/hw/legacy.h"
#include "vmm/hw/serial.h"
#include "vmm/mem.h"

static void test_mem(void)
{
	static uint8_t buf[8192];
	struct guest_mem m;

	mem_init_fake(&m, buf, sizeof(buf));
	ok(mem_ptr(&m, 0, 8192) == buf, "whole fake RAM translates");
	ok(mem_ptr(&m, 8191, 1) == buf + 8191, "last byte translates");
	ok(mem_ptr(&m, 8191, 2) == NULL, "range past the end is refused");
	ok(mem_ptr(&m, 8192, 0) == NULL, "address at the end is refused (len 0 = 1)");
	ok(mem_ptr(&m, UINT64_MAX, 2) == NULL, "gpa+len overflow is refused");
	ok(mem_ptr(&m, 16, UINT64_MAX) == NULL, "huge len is refused");
	is_int(mem_end(&m), 8192, "mem_end of fake RAM");

	struct guest_mem big;

	is_int(mem_init(&big, 5ull << 30), 0, "5 GiB of NORESERVE RAM maps");
	is_int(big.nr, 2, "RAM above 3 GiB is split around the MMIO hole");
	ok(big.r[1].gpa == MEM_HOLE_END && big.r[1].size == (2ull << 30), "high region at 4 GiB");
	ok(mem_ptr(&big, MEM_HOLE_START, 1) == NULL, "the MMIO hole is not RAM");
	ok(mem_ptr(&big, MEM_HOLE_START - 4, 8) == NULL, "an access straddling the hole fails");
	ok(mem_ptr(&big, MEM_HOLE_END, 4) == big.base + MEM_HOLE_START, "4 GiB maps past low RAM");
	is_int(mem_end(&big), MEM_HOLE_END + (2ull << 30), "mem_end counts the hole");
	ok(big.fd >= 0, "RAM is a memfd (shareable with vhost-user)");
	mem_fini(&big);
	is_int(mem_init(&big, 0), -EINVAL, "zero RAM is refused");
	is_int(mem_init(&big, 4095), -EINVAL, "RAM not a page multiple is refused");
}

static unsigned bus_hits;
static uint64_t bus_last_off;

static void bus_rd(void *o, uint64_t off, void *data, unsigned len)
{
	bus_hits++;
	bus_last_off = off;
	memset(data, 0xab, len);
}

static void test_bus(void)
{
	struct bus b = { 0 };
	uint32_t v = 0;

	is_int(bus_register(&b, 0x100, 0x10, bus_rd, NULL, NULL), 0, "register a device");
	is_int(bus_register(&b, 0x108, 0x10, bus_rd, NULL, NULL), -EBUSY, "overlap refused");
	is_int(bus_register(&b, 0x0f8, 0x09, bus_rd, NULL, NULL), -EBUSY, "overlap below refused");
	is_int(bus_register(&b, 0x110, 0x10, NULL, NULL, NULL), 0, "adjacent device accepted");
	is_int(bus_register(&b, UINT64_MAX, 2, NULL, NULL, NULL), -EINVAL, "wrapping range refused");
	ok(bus_access(&b, 0x104, &v, 4, false) && v == 0xabababab && bus_last_off == 4,
	   "read dispatched with the offset inside the device");
	ok(!bus_access(&b, 0x10e, &v, 4, false), "access crossing a device end is unclaimed");
	ok(!bus_access(&b, 0x500, &v, 4, false) && v == 0xffffffff, "unclaimed read is all ones");
	ok(bus_access(&b, 0x110, &v, 4, true), "write to a device without a handler is absorbed");
}

static int irq_level, irq_changes;

static void set_irq(void *arg, int level)
{
	irq_level = level;
	irq_changes++;
}

static uint8_t uart_rd(struct serial *s, unsigned reg)
{
	uint8_t v;

	serial_read(s, reg, &v, 1);
	return v;
}

static void uart_wr(struct serial *s, unsigned reg, uint8_t v)
{
	serial_write(s, reg, &v, 1);
}

static void test_serial(void)
{
	int p[2];
	char out[16] = { 0 };
	struct serial s;

	ok(pipe(p) == 0, "pipe");
	serial_init(&s, p[1], set_irq, NULL);
	ok(uart_rd(&s, 5) & 0x60, "LSR: transmitter empty");
	uart_wr(&s, 7, 0x5a);
	is_int(uart_rd(&s, 7), 0x5a, "scratch register holds a value");
	uart_wr(&s, 3, 0x80);
	uart_wr(&s, 0, 0x01);
	uart_wr(&s, 1, 0x00);
	uart_wr(&s, 3, 0x03);
	is_int(uart_rd(&s, 3), 0x03, "divisor latch written, LCR back to 8N1");
	uart_wr(&s, 0, 'h');
	uart_wr(&s, 0, 'i');
	uart_wr(&s, 0, '\n');
	is_int(read(p[0], out, sizeof(out)), 3, "a line is written out at its newline");
	is_str(out, "hi\n", "output bytes");
	is_int(irq_level, 0, "no interrupt while THRI is disabled");
	uart_wr(&s, 1, 0x02);
	is_int(irq_level, 1, "enabling THRI with an empty THR raises the line");
	is_int(uart_rd(&s, 2) & 0x0f, 0x02, "IIR reports THRE");
	is_int(irq_level, 0, "reading IIR acknowledges and lowers the line");
	is_int(uart_rd(&s, 2) & 0x0f, 0x01, "IIR then reports no interrupt");
	uart_wr(&s, 0, 'x');
	is_int(irq_level, 1, "a transmitted byte owes another THRE interrupt");
	uart_wr(&s, 4, 0x10 | 0x0a);
	is_int(uart_rd(&s, 6) & 0xf0, 0x90, "loopback mirrors OUT2/RTS into DCD/CTS");
	uart_wr(&s, 2, 0x01);
	is_int(uart_rd(&s, 2) & 0xc0, 0xc0, "FIFO enabled reads back as a 16550A");
	serial_fini(&s);
	is_int(read(p[0], out, sizeof(out)), 1, "fini flushes a partial line");
	close(p[0]);
	close(p[1]);
}

static int resets;
static uint64_t marker_ns;

static void on_reset(void *arg)
{
	resets++;
}

static void on_marker(void *arg, uint64_t ns)
{
	marker_ns = ns ? ns : 1;
}

/* The tail is kept even when output is discarded, and only the last bytes. */
static void test_serial_tail(void)
{
	struct serial s;
	char out[SERIAL_TAIL + 8];
	size_t n;

	serial_init(&s, -1, NULL, NULL);
	is_int((int)serial_tail(&s, out, sizeof(out)), 0, "serial tail: empty at first");
	is_str(out, "", "serial tail: empty string");
	for (const char *p = "Kernel panic\n"; *p; p++)
		uart_wr(&s, 0, (uint8_t)*p);
	serial_tail(&s, out, sizeof(out));
	is_str(out, "Kernel panic\n", "serial tail: kept although discarded");
	n = serial_tail(&s, out, 6);
	is_str(out, "anic\n", "serial tail: a short buffer gets the last bytes");
	is_int((int)n, 5, "serial tail: length of the short copy");
	for (unsigned i = 0; i < 3 * SERIAL_TAIL; i++)
		uart_wr(&s, 0, (uint8_t)('a' + i % 26));
	uart_wr(&s, 0, '!');
	n = serial_tail(&s, out, sizeof(out));
	is_int((int)n, SERIAL_TAIL, "serial tail: capped at SERIAL_TAIL");
	ok(out[n - 1] == '!' && out[n - 2] == 'a' + (3 * SERIAL_TAIL - 1) % 26,
	   "serial tail: ends with the newest bytes in order");
	serial_fini(&s);
}

static void test_legacy(void)
{
	struct i8042 k = { .reset = on_reset };
	struct marker m = { .start_ns = 1, .hit = on_marker };
	uint8_t v = 0xfe, other = 0x12;

	i8042_write(&k, 4, &other, 1);
	is_int(resets, 0, "other i8042 commands do not reset");
	i8042_write(&k, 0, &v, 1);
	is_int(resets, 0, "0xfe on the data port does not reset");
	i8042_write(&k, 4, &v, 1);
	is_int(resets, 1, "0xfe on the command port resets the VM");
	marker_write(&m, 0, &other, 1);
	ok(marker_ns == 0, "a wrong marker byte is ignored");
	v = MARKER_MAGIC;
	marker_write(&m, 0, &v, 1);
	ok(marker_ns != 0, "the magic byte records the boot time");
	marker_ns = 0;
	marker_write(&m, 0, &v, 1);
	ok(marker_ns == 0, "only the first marker counts");
}

static int ev_count;

static void ev_on(struct ev_loop *l, int fd, uint32_t events, void *arg)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
	if (++ev_count == 2)
		ev_stop(l, 42);
	else
		(void)!write(fd, &n, sizeof(n));
}

static void test_ev(void)
{
	struct ev_loop *l = ev_create();
	int fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);

	ok(l != NULL, "loop created");
	is_int(ev_add(l, fd, EPOLLIN, ev_on, NULL), 0, "add fd");
	is_int(ev_add(l, fd, EPOLLIN, ev_on, NULL), -EEXIST, "adding twice is refused");
	is_int(ev_run(l), 42, "run returns the stop code");
	is_int(ev_count, 2, "callback ran until stop");
	is_int(ev_del(l, fd), 0, "del");
	is_int(ev_del(l, fd), -ENOENT, "del of an unknown fd");
	close(fd);
	ev_destroy(l);
}

int main(void)
{
	test_mem();
	test_bus();
	test_serial();
	test_serial_tail();
	test_legacy();
	test_ev();
	return tap_done();
}
