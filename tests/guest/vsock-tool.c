/* vsock-tool: a tiny socat for AF_VSOCK, run inside test guests (static, next to
 * busybox in the test initramfs). Self-contained on purpose: no project code.
 *
 *   vsock-tool connect CID PORT
 *       stdin -> connection, connection -> stdout; on stdin EOF the write side is
 *       shut down; exits when the peer has finished sending.
 *   vsock-tool listen PORT [-- CMD [ARG...]]
 *       accepts one connection and relays it like connect, or execs CMD with the
 *       connection as its stdin and stdout.
 *   vsock-tool listen -k|--keep PORT [-- CMD [ARG...]]
 *       accepts connections for ever, each in its own child: with CMD, exec'd with
 *       the connection as stdin and stdout; without, the child echoes the stream.
 *
 * Exit status 0 when the stream ended cleanly, 1 on any error (a refused connect
 * prints "connection refused"), 2 on bad usage. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define BUF_SIZE 65536

static const char *prog = "vsock-tool";

static int fail(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(err));
	return 1;
}

/* The host refuses with an RST, which Linux reports as ECONNRESET. */
static int fail_connect(int err)
{
	if (err == ECONNREFUSED || err == ECONNRESET) {
		fprintf(stderr, "%s: connect: connection refused\n", prog);
		return 1;
	}
	return fail("connect", err);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: %s connect CID PORT\n"
		"       %s listen [-k|--keep] PORT [-- CMD [ARG...]]\n"
		"(listen -k without CMD echoes every connection back)\n",
		prog, prog);
	return 2;
}

static bool parse_u32(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffUL || s[0] == '-')
		return false;
	*out = (unsigned)v;
	return true;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copies one chunk from `from` to `to`. 1: copied, 0: EOF, -errno. */
static int pump(int from, int to, char *buf)
{
	ssize_t n = read(from, buf, BUF_SIZE);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	return write_all(to, buf, (size_t)n) ? -EPIPE : 1;
}

/* in -> sock and sock -> out until the peer has finished sending. */
static int relay(int sock, int in, int out)
{
	static char buf[BUF_SIZE];
	bool in_open = true;
	int r;

	for (;;) {
		struct pollfd p[2] = { { .fd = sock, .events = POLLIN },
				       { .fd = in_open ? in : -1, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll", errno);
		}
		if (p[0].revents) {
			r = pump(sock, out, buf);
			if (r == 0)
				return 0;
			if (r < 0)
				return fail("connection", -r);
		}
		if (in_open && p[1].revents) {
			r = pump(in, sock, buf);
			if (r < 0)
				return fail("send", -r);
			if (r == 0) {
				/* The peer sees EOF; its answer may still be on the way. */
				shutdown(sock, SHUT_WR);
				in_open = false;
			}
		}
	}
}

static int do_connect(int argc, char **argv)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK };
	unsigned cid, port;
	int fd;

	if (argc != 2 || !parse_u32(argv[0], &cid) || !parse_u32(argv[1], &port))
		return usage();
	sa.svm_cid = cid;
	sa.svm_port = port;
	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket", errno);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail_connect(errno);
	return relay(fd, 0, 1);
}

static int listen_on(unsigned port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1024) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void echo(int fd)
{
	static char buf[BUF_SIZE];
	int r;

	while ((r = pump(fd, fd, buf)) > 0)
		;
	shutdown(fd, SHUT_WR);
	_exit(r < 0);
}

/* Never returns: the connection becomes stdin and stdout of cmd. */
static void run_cmd(int fd, char **cmd)
{
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0)
		_exit(fail("dup2", errno));
	execvp(cmd[0], cmd);
	fail(cmd[0], errno);
	_exit(127);
}

/* One child per connection; children are reaped by the kernel (SA_NOCLDWAIT). */
static int serve(int lfd, char **cmd)
{
	struct sigaction sa = { .sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT };

	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return fail("accept", errno);
		}
		pid = fork();
		if (pid < 0) {
			fail("fork", errno);
			close(fd);
			continue;
		}
		if (pid == 0) {
			close(lfd);
			if (!cmd)
				echo(fd);
			run_cmd(fd, cmd);
		}
		close(fd);
	}
}

static int do_listen(int argc, char **argv)
{
	bool keep = false;
	char **cmd = NULL;
	unsigned port;
	int lfd, fd, i = 0;

	if (i < argc && (!strcmp(argv[i], "-k") || !strcmp(argv[i], "--keep"))) {
		keep = true;
		i++;
	}
	if (i >= argc || !parse_u32(argv[i], &port))
		return usage();
	i++;
	if (i < argc) {
		if (strcmp(argv[i], "--") || i + 1 >= argc)
			return usage();
		cmd = &argv[i + 1];
	}
	lfd = listen_on(port);
	if (lfd < 0)
		return fail("listen", -lfd);
	if (keep)
		return serve(lfd, cmd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return fail("accept", errno);
	close(lfd);
	if (cmd)
		run_cmd(fd, cmd);
	return relay(fd, 0, 1);
}

int main(int argc, char **argv)
{
	/* A closed stdout or connection must be an error we report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "connect"))
		return do_connect(argc - 2, argv + 2);
	if (!strcmp(argv[1], "listen"))
		return do_listen(argc - 2, argv + 2);
	return usage();
}
