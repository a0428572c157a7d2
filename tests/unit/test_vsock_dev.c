/* Integration test for the virtio-vsock device: the real device, transport, queues
 * and event loop, driven by a fake guest driver over fake guest memory (a thread
 * standing in for a vCPU: it programs the MMIO registers, posts buffers, kicks, and
 * runs a minimal guest vsock stack) against real Unix sockets on the host side.
 * The fake driver lives in vsock_fake_guest.h.
 * Checks: 100 MB each way on one hybrid connection (VSOCK_TEST_MB to change), 64
 * concurrent connections in both directions, refusals both ways, credit never
 * exceeded, clean teardown. */
#include "vmm/virtio/vsock.h"
#include "vmm/virtio/vsock_conn.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/vsock_fake_guest.h"

static char dir[48], uds[64];

/* ---- the host side ------------------------------------------------------ */

struct host_job {
	int fd;
	uint64_t len;
	bool ok;
	pthread_t th;
	bool started;
};

/* Sends len bytes of the host stream, reads len bytes of the guest stream, both
 * at once, then expects EOF. */
static void *host_peer(void *arg)
{
	struct host_job *j = arg;
	uint8_t *out = malloc(65536), *in = malloc(65536), *want = malloc(65536);
	uint64_t woff = 0, roff = 0;
	bool good = out && in && want, wdone = false, rdone = false;

	while (good && !(wdone && rdone)) {
		struct pollfd p = { .fd = j->fd, .events = (rdone ? 0 : POLLIN) | (wdone ? 0 : POLLOUT) };
		ssize_t r;

		if (poll(&p, 1, 30000) != 1) {
			good = false;
			break;
		}
		if (!wdone && (p.revents & POLLOUT)) {
			size_t n = (size_t)MIN(65536ull, j->len - woff);

			pattern(HOST_SEED, woff, out, n);
			r = send(j->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r < 0 && errno != EAGAIN)
				good = false;
			woff += r > 0 ? (uint64_t)r : 0;
			if (woff == j->len) {
				shutdown(j->fd, SHUT_WR);
				wdone = true;
			}
		}
		if (rdone || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		r = recv(j->fd, in, 65536, MSG_DONTWAIT);
		if (r == 0) {
			rdone = true;
			continue;
		}
		if (r < 0) {
			good = errno == EAGAIN;
			continue;
		}
		pattern(GUEST_SEED, roff, want, (size_t)r);
		good = roff + (uint64_t)r <= j->len && memcmp(in, want, (size_t)r) == 0;
		roff += (uint64_t)r;
	}
	j->ok = good && wdone && rdone && roff == j->len;
	if (!j->ok)
		printf("# host peer: written %llu, read %llu of %llu\n", (unsigned long long)woff,
		       (unsigned long long)roff, (unsigned long long)j->len);
	close(j->fd);
	free(out);
	free(in);
	free(want);
	return NULL;
}

static void host_job_start(struct host_job *j, int fd, uint64_t len)
{
	j->fd = fd;
	j->len = len;
	j->started = fd >= 0 && pthread_create(&j->th, NULL, host_peer, j) == 0;
	if (!j->started && fd >= 0)
		close(fd);
}

/* "CONNECT port" on the hybrid socket: the fd after "OK <n>\n", or -1 (*eof set
 * when the answer was EOF or a reset, i.e. a refusal). */
static int hybrid_connect(uint32_t port, bool *eof)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[32];
	size_t n = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*eof = false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	n = (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write(fd, line, n) != (ssize_t)n)
		return -1;
	for (n = 0; n < sizeof(line) - 1; n++) {
		ssize_t r = read(fd, &line[n], 1);

		if (r <= 0) {
			*eof = r == 0 || errno == ECONNRESET;
			close(fd);
			return -1;
		}
		if (line[n] == '\n')
			break;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct host_side {
	struct host_job big, hyb[MANY / 2], gi[MANY / 2];
	uint64_t big_len;
	int lfd;
	bool refused_ok;
	pthread_t th, acc;
};

static void *host_connector(void *arg)
{
	struct host_side *h = arg;
	bool eof;

	host_job_start(&h->big, hybrid_connect(PORT_BIG, &eof), h->big_len);
	for (unsigned i = 0; i < MANY / 2; i++)
		host_job_start(&h->hyb[i], hybrid_connect(PORT_SMALL, &eof), SMALL_LEN);
	h->refused_ok = hybrid_connect(PORT_CLOSED, &eof) < 0 && eof;
	return NULL;
}

static void *host_acceptor(void *arg)
{
	struct host_side *h = arg;

	for (unsigned i = 0; i < MANY / 2; i++)
		host_job_start(&h->gi[i], accept4(h->lfd, NULL, NULL, SOCK_CLOEXEC), SMALL_LEN);
	return NULL;
}

static int listen_port(uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds, port);
	unlink(sa.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128))
		return -1;
	return fd;
}

static unsigned joined_ok(struct host_job *j, unsigned n)
{
	unsigned good = 0;

	for (unsigned i = 0; i < n; i++) {
		if (j[i].started)
			pthread_join(j[i].th, NULL);
		good += j[i].started && j[i].ok;
	}
	return good;
}

/* ---- main --------------------------------------------------------------- */

struct world {
	struct ev_loop *loop;
	struct vsock *vs;
	struct virtio_dev *dev;
	struct guest_mem mem;
	uint8_t *ram;
	struct fake_guest g;
	int stop_fd;
};

static void stop_cb(struct ev_loop *loop, int fd, uint32_t events, void *arg)
{
	ev_stop(loop, 0);
}

static void *guest_thread(void *arg)
{
	struct world *w = arg;
	uint64_t one = 1;

	fg_run(&w->g, MANY / 2, 120);
	/* What was left hanging, for whoever debugs a failure. */
	for (unsigned i = 0; i < ARRAY_SIZE(w->g.c); i++) {
		const struct gconn *c = &w->g.c[i];

		if (c->live)
			printf("# guest conn %u->%u: est %d sent %llu read %llu of %llu\n", c->gport,
			       c->hport, c->est, (unsigned long long)c->woff,
			       (unsigned long long)c->roff, (unsigned long long)c->len);
	}
	(void)!write(w->stop_fd, &one, sizeof(one));
	return NULL;
}

static void test_create_errors(struct world *w)
{
	struct vsock *v = NULL;
	char path[64], longp[200];

	snprintf(path, sizeof(path), "%s/exists", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	is_int(vsock_create(&v, w->loop, &w->mem, path, 3), -EEXIST, "existing path: -EEXIST");
	is_int(vsock_create(&v, w->loop, &w->mem, "/tmp/x", 2), -EINVAL, "host cid as guest cid");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	is_int(vsock_create(&v, w->loop, &w->mem, longp, 3), -ENAMETOOLONG, "path too long");
	snprintf(path, sizeof(path), "%s/t.sock", dir);
	ok(vsock_create(&v, w->loop, &w->mem, path, 3) == 0 && access(path, F_OK) == 0,
	   "create binds the path");
	vsock_destroy(v);
	ok(access(path, F_OK) != 0, "destroy unlinks it");
}

/* A fresh loop (a stopped one stays stopped), the device, and the fake driver
 * up to DRIVER_OK. */
static int world_up(struct world *w, bool event_idx)
{
	memset(&w->g, 0, sizeof(w->g));
	memset(w->ram, 0, MEM_SIZE);
	w->g.event_idx = event_idx;
	w->loop = ev_create();
	w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	w->g.irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ev_add(w->loop, w->stop_fd, EPOLLIN, stop_cb, NULL);
	if (vsock_create(&w->vs, w->loop, &w->mem, uds, 3))
		return -1;
	w->dev = vsock_dev(w->vs);
	if (virtio_dev_init(w->dev, &w->mem, 0xd0000000, 5))
		return -1;
	w->dev->raise_irq = fg_raise;
	w->dev->irq_arg = &w->g;
	return fg_setup(&w->g, w->dev, w->ram);
}

static void world_down(struct world *w)
{
	virtio_dev_fini(w->dev);
	vsock_destroy(w->vs);
	close(w->g.irq_fd);
	ev_del(w->loop, w->stop_fd);
	close(w->stop_fd);
	ev_destroy(w->loop);
}

/* One device life: create, drive it from the fake guest against host peers, tear
 * down. */
static void test_device(struct world *w, uint64_t mb, bool event_idx)
{
	static struct host_side hs;
	const char *mode = event_idx ? "EVENT_IDX" : "no EVENT_IDX";
	pthread_t gt;
	uint64_t cid = 0;

	memset(&hs, 0, sizeof(hs));
	is_int(world_up(w, event_idx), 0, "device created, driver (%s) at DRIVER_OK", mode);
	is_int(rd(w->dev, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_VSOCK, "device id 19");
	virtio_mmio_read(w->dev, VIRTIO_MMIO_CONFIG, &cid, 8);
	is_int(cid, 3, "config space: guest_cid");

	w->g.big_len = hs.big_len = mb << 20;
	w->g.expect_closed = 1 + MANY;
	hs.lfd = listen_port(HPORT_OPEN);
	pthread_create(&hs.acc, NULL, host_acceptor, &hs);
	pthread_create(&hs.th, NULL, host_connector, &hs);
	pthread_create(&gt, NULL, guest_thread, w);
	is_int(ev_run(w->loop), 0, "event loop ran until the guest was done");
	pthread_join(gt, NULL);
	pthread_join(hs.th, NULL);
	pthread_join(hs.acc, NULL);

	ok(joined_ok(&hs.big, 1) == 1, "%llu MB each way on one hybrid connection, contents equal",
	   (unsigned long long)mb);
	is_int(w->g.stalls, 0, "no lost interrupt or kick (%s)", mode);
	is_int(joined_ok(hs.hyb, MANY / 2), MANY / 2, "host-initiated concurrent streams intact");
	is_int(joined_ok(hs.gi, MANY / 2), MANY / 2, "guest-initiated concurrent streams intact");
	is_int(w->g.closed_ok, 1 + MANY, "guest saw every connection close cleanly");
	is_int(w->g.errors, 0, "no protocol or credit errors seen by the guest");
	ok(hs.refused_ok, "CONNECT to a port the guest does not listen on: EOF without OK");
	ok(w->g.refused_seen, "guest connect to a host port nobody listens on: RST");

	wr(w->dev, VIRTIO_MMIO_STATUS, 0);
	is_int(rd(w->dev, VIRTIO_MMIO_STATUS), 0, "device reset by the driver");
	world_down(w);
	ok(access(uds, F_OK) != 0, "destroy removed the uds path");
	close(hs.lfd);
}

static void *reset_thread(void *arg)
{
	struct world *w = arg;
	uint64_t one = 1;

	usleep(200 * 1000);
	wr(w->dev, VIRTIO_MMIO_STATUS, 0); /* as a vCPU would: off the loop thread */
	usleep(200 * 1000);
	(void)!write(w->stop_fd, &one, sizeof(one));
	return NULL;
}

/* A driver reset from a vCPU thread drops every connection, on the loop thread. */
static void test_reset_from_vcpu(struct world *w)
{
	struct pollfd p;
	pthread_t th;
	bool eof;
	int fd;

	is_int(world_up(w, false), 0, "reset test: driver up");
	/* Nobody answers the REQUEST: the client waits until the reset. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	ok(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && write(fd, "CONNECT 9\n", 10) == 10,
	   "reset test: host client asks for a guest port");
	pthread_create(&th, NULL, reset_thread, w);
	ev_run(w->loop);
	pthread_join(th, NULL);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	eof = poll(&p, 1, 0) == 1 && read(fd, &sa, 1) == 0;
	ok(eof, "reset from a vCPU thread closed the waiting client");
	is_int(rd(w->dev, VIRTIO_MMIO_STATUS), 0, "reset test: device status 0");
	close(fd);
	world_down(w);
}

int main(void)
{
	static struct world w;
	const char *mb = getenv("VSOCK_TEST_MB");
	char cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/vsock-dev.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	w.ram = aligned_alloc(4096, MEM_SIZE);
	mem_init_fake(&w.mem, w.ram, MEM_SIZE);
	w.loop = ev_create();
	test_create_errors(&w);
	ev_destroy(w.loop);
	test_device(&w, mb ? strtoull(mb, NULL, 0) : 100, false);
	test_device(&w, mb ? strtoull(mb, NULL, 0) / 4 : 25, true);
	test_reset_from_vcpu(&w);
	free(w.ram);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
