/* The container VMM's stdio relays (vmm/relay.c) on a real event loop: a file as
 * the source (epoll cannot watch it) with EOF passed on as a shutdown, /dev/null
 * as the destination, a reader that went away (EPIPE), a stalled reader that
 * does not hold up another stream, a tty hangup (EIO) as EOF, and a blocking
 * socket of the caller's (--preserve-fds) used without touching its flags. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "tests/unit/tap.h"
#include "vmm/relay.h"

#define DATA (3u << 20)

static uint8_t *data;
static int dones;

static void on_done_stop(void *arg, struct relay *r)
{
	dones++;
	ev_stop(arg, r->err);
}

struct sink {
	int fd;
	size_t got;
	bool same;
	pthread_t t;
};

static void *sink_thread(void *arg)
{
	struct sink *s = arg;
	static uint8_t buf[65536];
	ssize_t n;

	s->same = true;
	while ((n = read(s->fd, buf, sizeof(buf))) > 0) {
		if (s->got + (size_t)n > DATA || memcmp(buf, data + s->got, (size_t)n))
			s->same = false;
		s->got += (size_t)n;
	}
	return NULL;
}

static void *source_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	util_write_full(fd, data, DATA);
	close(fd);
	return NULL;
}

static char *temp_file(void)
{
	static char path[] = "/tmp/test_ctl_relay.XXXXXX";
	int fd = mkstemp(path);

	util_write_full(fd, data, DATA);
	close(fd);
	return path;
}

static void test_file_to_socket(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *r = NULL;
	struct sink s = { 0 };
	int sv[2], src;
	char *path = temp_file();

	src = open(path, O_RDONLY | O_CLOEXEC);
	unlink(path);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	s.fd = sv[1];
	pthread_create(&s.t, NULL, sink_thread, &s);
	ok(!relay_pollable(src), "a regular file cannot be polled");
	is_int(relay_create(&r, loop, src, sv[0], RELAY_SHUT_DST, "file", on_done_stop, loop), 0,
	       "relay from a file");
	is_int(ev_run(loop), 0, "runs to the end without an error");
	pthread_join(s.t, NULL);
	ok(s.got == DATA && s.same, "all %u bytes arrived, in order, then EOF", DATA);
	ok(r->done && r->src < 0 && r->dst < 0, "both ends closed");
	relay_destroy(r);
	ev_destroy(loop);
	close(sv[1]);
}

static void test_socket_to_devnull(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *r = NULL;
	pthread_t t;
	int sv[2], null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	pthread_create(&t, NULL, source_thread, (void *)(intptr_t)sv[1]);
	ok(!relay_pollable(null), "/dev/null cannot be polled");
	is_int(relay_create(&r, loop, sv[0], null, 0, "devnull", on_done_stop, loop), 0,
	       "relay into /dev/null");
	is_int(ev_run(loop), 0, "all of it written, EOF, done");
	pthread_join(t, NULL);
	relay_destroy(r);
	ev_destroy(loop);
}

static void test_reader_gone(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *r = NULL;
	int sv[2], p[2];
	char c;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	pipe2(p, O_CLOEXEC);
	close(p[0]); /* nobody reads */
	(void)!write(sv[1], "x", 1);
	is_int(relay_create(&r, loop, sv[0], p[1], 0, "stdout", on_done_stop, loop), 0, "relay");
	is_int(ev_run(loop), -EPIPE, "the writer learns EPIPE and ends");
	ok(read(sv[1], &c, 1) == 0, "the stream is closed: the guest sees it go");
	relay_destroy(r);
	close(sv[1]);
	ev_destroy(loop);
}

static void test_stall_independent(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *stuck = NULL, *flows = NULL;
	struct sink s = { 0 };
	pthread_t t1, t2;
	int a[2], b[2], p[2], q[2];

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b);
	pipe2(p, O_CLOEXEC); /* p[0] is never read: stdout's reader is stuck */
	pipe2(q, O_CLOEXEC);
	pthread_create(&t1, NULL, source_thread, (void *)(intptr_t)a[1]);
	pthread_create(&t2, NULL, source_thread, (void *)(intptr_t)b[1]);
	s.fd = q[0];
	pthread_create(&s.t, NULL, sink_thread, &s);
	relay_create(&stuck, loop, a[0], p[1], 0, "stdout", NULL, NULL);
	relay_create(&flows, loop, b[0], q[1], 0, "stderr", on_done_stop, loop);
	is_int(ev_run(loop), 0, "one stream finishes ...");
	pthread_join(s.t, NULL);
	ok(s.got == DATA && s.same, "... all of it, while the other's reader reads nothing");
	ok(!stuck->done && stuck->tail - stuck->head <= RELAY_BUF,
	   "the stuck one waits, holding at most its buffer (%zu bytes)", stuck->tail - stuck->head);
	relay_destroy(stuck);
	relay_destroy(flows);
	pthread_join(t2, NULL);
	close(p[0]); /* t1 is still blocked writing into a[1]'s full buffer: let it fail */
	shutdown(a[1], SHUT_RDWR);
	pthread_join(t1, NULL);
	ev_destroy(loop);
}

static void test_tty_hangup(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *r = NULL;
	int m, s, sv[2];
	char c;

	if (openpty(&m, &s, NULL, NULL, NULL)) {
		skip("no pty");
		return;
	}
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	close(m); /* the caller's end goes away: reads of the slave say EIO */
	is_int(relay_create(&r, loop, s, sv[0], RELAY_SHUT_DST | RELAY_TTY_SRC, "console",
			    on_done_stop, loop), 0, "relay from a pty slave");
	is_int(ev_run(loop), 0, "EIO is the tty's EOF, not an error");
	ok(read(sv[1], &c, 1) == 0, "passed on as EOF");
	relay_destroy(r);
	close(sv[1]);
	ev_destroy(loop);
}

/* The socket is the caller's too: it stays blocking, and the relay still never
 * blocks the loop on it (its reader reads nothing here). */
static void test_socket_flags_kept(void)
{
	struct ev_loop *loop = ev_create();
	struct relay *stuck = NULL, *flows = NULL;
	struct sink s = { 0 };
	pthread_t t1, t2;
	int a[2], sv[2], q[2], b[2];

	pipe2(a, O_CLOEXEC);
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv); /* blocking, nobody reads sv[1] */
	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b);
	pipe2(q, O_CLOEXEC);
	pthread_create(&t1, NULL, source_thread, (void *)(intptr_t)a[1]);
	pthread_create(&t2, NULL, source_thread, (void *)(intptr_t)b[1]);
	s.fd = q[0];
	pthread_create(&s.t, NULL, sink_thread, &s);
	is_int(relay_create(&stuck, loop, a[0], sv[0], RELAY_SHUT_DST, "fd 3", NULL, NULL), 0,
	       "relay into the caller's blocking socket");
	ok(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), "its flags are left alone (still blocking)");
	relay_create(&flows, loop, b[0], q[1], 0, "stdout", on_done_stop, loop);
	is_int(ev_run(loop), 0, "another stream finishes while that socket's reader reads nothing");
	pthread_join(s.t, NULL);
	ok(s.got == DATA && s.same && !stuck->done, "all of the other's data, the stuck one waits");
	ok(!(fcntl(sv[0], F_GETFL) & O_NONBLOCK), "and the socket is still blocking");
	relay_destroy(stuck);
	relay_destroy(flows);
	pthread_join(t2, NULL);
	close(sv[1]); /* the pipe's reader is closed: t1's last write fails */
	pthread_join(t1, NULL);
	ev_destroy(loop);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	data = malloc(DATA);
	for (size_t i = 0; i < DATA; i++)
		data[i] = (uint8_t)(i * 7 + i / 4099);
	test_file_to_socket();
	test_socket_to_devnull();
	test_reader_gone();
	test_stall_independent();
	test_tty_hangup();
	test_socket_flags_kept();
	free(data);
	return tap_done();
}
