/* Unit tests of runvm-init's stdio relay: data through, EOF through as a
 * shutdown, backpressure, the drain rule for a reaped process, a dead reader. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

/* Runs the relay's events until it is done or nothing happens for 200 ms. */
static void spin(int ep, struct gi_relay *r)
{
	struct epoll_event ev[4];
	int n;

	gi_relay_pump(r);
	while (!r->done && (n = epoll_wait(ep, ev, 4, 200)) > 0)
		for (int i = 0; i < n; i++)
			gi_relay_pump(((struct gi_watch *)ev[i].data.ptr)->obj);
}

static struct gi_relay *make(int ep, int *src_w, int *peer)
{
	int p[2], s[2];
	struct gi_relay *r = NULL;

	(void)!pipe2(p, O_CLOEXEC);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	fcntl(s[0], F_SETFL, O_NONBLOCK);
	gi_relay_create(&r, ep, p[0], s[0], NULL);
	*src_w = p[1];
	*peer = s[1];
	return r;
}

static char got[4 << 20];

static void test_basic(int ep)
{
	int w, peer;
	struct gi_relay *r = make(ep, &w, &peer);
	ssize_t n;

	(void)!write(w, "hello", 5);
	spin(ep, r);
	n = read(peer, got, 100);
	ok(n == 5 && !memcmp(got, "hello", 5) && !r->done, "data goes through; the relay stays open");
	close(w);
	spin(ep, r);
	ok(r->done && read(peer, got, 100) == 0, "EOF on the source is a shutdown for the reader");
	gi_relay_destroy(r);
	close(peer);
}

/* 4 MiB through while the reader reads slowly: nothing lost, nothing reordered. */
static void test_bulk(int ep, const char *data, size_t big)
{
	int w, peer, total = 0, eof = 0;
	struct gi_relay *r = make(ep, &w, &peer);
	ssize_t n;

	fcntl(w, F_SETFL, O_NONBLOCK);
	for (size_t off = 0; !eof;) {
		if (off < big && (n = write(w, data + off, big - off)) > 0)
			off += (size_t)n;
		if (off == big && w >= 0) {
			close(w);
			w = -1;
		}
		gi_relay_pump(r);
		n = read(peer, got + total, 65536);
		if (n > 0)
			total += (int)n;
		eof = n == 0;
		if (n < 0 && r->src_ev == 0 && r->dst_ev == 0 && !r->done)
			break; /* stuck: would be a bug */
	}
	ok(total == (int)big && !memcmp(data, got, big), "4 MiB arrive whole and in order");
	gi_relay_destroy(r);
	close(peer);
}

/* Backpressure: with the reader not reading, the relay stops reading too. */
static void test_backpressure(int ep, const char *data)
{
	int w, peer;
	struct gi_relay *r = make(ep, &w, &peer);

	fcntl(w, F_SETFL, O_NONBLOCK);
	while (write(w, data, 65536) > 0)
		gi_relay_pump(r);
	gi_relay_pump(r);
	ok(r->src_ev == 0 && r->dst_ev == EPOLLOUT && r->tail == sizeof(r->buf),
	   "a full buffer: the source is not watched, the destination is");
	gi_relay_destroy(r);
	close(w);
	close(peer);
}

static void test_drain(int ep)
{
	int w, peer;
	struct gi_relay *r = make(ep, &w, &peer);

	/* The process is gone but someone still holds the pipe's write end. */
	(void)!write(w, "last", 4);
	r->drain = true;
	spin(ep, r);
	ok(r->done && read(peer, got, 100) == 4 && read(peer, got, 100) == 0,
	   "after the process is reaped, an empty pipe is the end (the data before it arrives)");
	gi_relay_destroy(r);
	close(w);
	close(peer);

	/* A pty source is not ended by EAGAIN; its end is EIO or the agent's deadline. */
	r = make(ep, &w, &peer);
	r->drain = r->pty = true;
	gi_relay_pump(r);
	ok(!r->done, "a drained pty waits for EIO");
	gi_relay_end(r);
	ok(r->done && read(peer, got, 100) == 0, "gi_relay_end gives the reader EOF");
	gi_relay_destroy(r);
	close(w);
	close(peer);
}

/* The reader is gone: the relay ends without a crash (SIGPIPE ignored). */
static void test_dead_reader(int ep)
{
	int w, peer;
	struct gi_relay *r;

	signal(SIGPIPE, SIG_IGN);
	r = make(ep, &w, &peer);
	close(peer);
	(void)!write(w, "x", 1);
	spin(ep, r);
	ok(r->done, "a reader that went away ends the relay");
	gi_relay_destroy(r);
	close(w);
}

int main(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	size_t big = sizeof(got);
	char *data = malloc(big);

	for (size_t i = 0; i < big; i++)
		data[i] = (char)(i * 7);
	test_basic(ep);
	test_bulk(ep, data, big);
	test_backpressure(ep, data);
	test_drain(ep);
	test_dead_reader(ep);
	free(data);
	close(ep);
	return tap_done();
}
