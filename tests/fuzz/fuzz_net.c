/* libFuzzer target for the virtio-net device as a hostile guest drives it: fake guest
 * RAM filled from the input (so descriptors, rings and headers are whatever the fuzzer
 * makes them), queue sizes and features from the input, then a script of operations
 * from the rest of it: kicks of either queue, frames from the host side of a socket
 * pair (the back-end), bytes of RAM rewritten between kicks, resets. Any crash,
 * sanitizer report or hang is a bug. The device's loop thread is this thread: the
 * first loop turn teaches it so, later kicks are served at once.
 * Layout: RAM is the input's start; the script is its last 256 bytes (all of a
 * shorter input): no_offload, 4 bytes of features, the two queue sizes (log2), then
 * operations. seed_net.c writes inputs with sane rings to start from.
 * Build and run: tests/fuzz/run [SECONDS] net. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/ev.h"
#include "vmm/virtio/net.h"
#include "vmm/virtio/virtio.h"

#define RAM (64u * 1024)

struct fz {
	const uint8_t *p;
	size_t n;
};

static uint8_t fz_byte(struct fz *f)
{
	uint8_t b = 0;

	if (f->n) {
		b = *f->p++;
		f->n--;
	}
	return b;
}

static void wr(struct virtio_dev *d, uint64_t off, uint32_t v)
{
	virtio_mmio_write(d, off, &v, 4);
}

static void stop_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	ev_stop(loop, 0);
}

static void setup_queues(struct virtio_dev *d, struct fz *f)
{
	uint32_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	uint32_t feat = (uint32_t)fz_byte(f) | (uint32_t)fz_byte(f) << 8 | (uint32_t)fz_byte(f) << 16 |
			(uint32_t)fz_byte(f) << 24;

	wr(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(d, VIRTIO_MMIO_STATUS, st);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, feat & (uint32_t)d->host_features);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(d, VIRTIO_MMIO_STATUS, st |= VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < NET_NR_QUEUES; q++) {
		uint32_t base = 0x4000u * q;

		wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		wr(d, VIRTIO_MMIO_QUEUE_NUM, 1u << (fz_byte(f) % 9));
		wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, base);
		wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, base + 0x1000);
		wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, base + 0x2000);
		wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	wr(d, VIRTIO_MMIO_STATUS, st | VIRTIO_STATUS_DRIVER_OK);
}

/* One operation of the script. */
static void step(struct virtio_dev *d, uint8_t *ram, int host, struct fz *f)
{
	static uint8_t frame[2048];
	uint8_t op = fz_byte(f);
	uint16_t at, len;

	switch (op % 5) {
	case 0:
	case 1:
		wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, op % 2);
		break;
	case 2:
		len = (uint16_t)(fz_byte(f) | fz_byte(f) << 8) % sizeof(frame);
		memset(frame, fz_byte(f), len);
		(void)!send(host, frame, len, MSG_DONTWAIT);
		break;
	case 3:
		at = (uint16_t)(fz_byte(f) | fz_byte(f) << 8);
		ram[at % RAM] = fz_byte(f);
		break;
	case 4:
		while (recv(host, frame, sizeof(frame), MSG_DONTWAIT) > 0)
			;
		if (op & 0x80)
			wr(d, VIRTIO_MMIO_STATUS, 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct fz f = { data, size };
	struct net_cfg cfg = { .mtu = 1500 };
	struct guest_mem mem;
	struct ev_loop *loop;
	struct net_dev *n;
	struct virtio_dev *d;
	int sv[2], stop;
	uint64_t one = 1;

	if (!ram)
		ram = malloc(RAM);
	memset(ram, 0, RAM);
	memcpy(ram, data, size < RAM ? size : RAM);
	if (size > 256) {
		/* The script comes from the end; RAM gets the start. */
		f.p = data + size - 256;
		f.n = 256;
	}
	mem_init_fake(&mem, ram, RAM);
	loop = ev_create();
	if (!loop || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
	cfg.fd = sv[0];
	cfg.no_offload = fz_byte(&f) & 1;
	if (net_create(&n, loop, &mem, &cfg))
		abort();
	d = net_dev(n);
	virtio_dev_init(d, &mem, 0xd0000000, 5);
	setup_queues(d, &f);
	/* One loop turn: the activation's kick, then stop (epoll returns them in order). */
	stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev_add(loop, stop, EPOLLIN, stop_cb, NULL);
	(void)!write(stop, &one, sizeof(one));
	ev_run(loop);
	while (f.n)
		step(d, ram, sv[1], &f);
	virtio_dev_fini(d);
	net_destroy(n);
	ev_del(loop, stop);
	close(stop);
	close(sv[1]);
	ev_destroy(loop);
	return 0;
}
