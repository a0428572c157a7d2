/* console-recv: the receiving end of an OCI --console-socket, for tests.
 *
 *   console-recv [options] SOCKET
 *
 * Listens on the Unix socket SOCKET, takes one connection and one message that
 * must carry exactly one fd (SCM_RIGHTS) and a non-empty payload, as containerd
 * and conmon require; then relays the pty master it got: our stdin to the master
 * (until our stdin ends; the pty is not closed for that), the master's output to
 * our stdout, until the pty hangs up (the other side closed its slave).
 *
 *   --winsize          print "winsize ROWS COLS" of the pty first (on stderr)
 *   --resize ROWSxCOLS set the pty's window size once it has arrived
 *   --input TEXT       write TEXT (with \n and \r escapes) to the master once, after
 *                      --delay-ms, instead of relaying our stdin
 *   --delay-ms N       wait N ms before --input (default 0)
 *   --timeout S        give up after S seconds (default 600): exit 124
 * Exit: 0 after the hang-up, 1 on errors (message on stderr), 2 on usage. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

static void die(const char *what)
{
	fprintf(stderr, "console-recv: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "console-recv: %s: path too long\n", path);
		exit(2);
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
		die(path);
	return s;
}

static int recv_fd(int c, char *payload, size_t size)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { payload, size - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		die("recvmsg");
	payload[n] = '\0';
	cm = CMSG_FIRSTHDR(&mh);
	if (n == 0 || !cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) || CMSG_NXTHDR(&mh, cm)) {
		fprintf(stderr, "console-recv: expected one fd and a non-empty payload (got %zd bytes)\n",
			n);
		exit(1);
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (*s == '\\' && (s[1] == 'n' || s[1] == 'r')) {
			*d++ = s[1] == 'n' ? '\n' : '\r';
			s++;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static void relay(int master, char *input, int delay_ms, uint64_t deadline)
{
	char buf[65536];
	bool in_open = input == NULL;
	uint64_t input_at = util_now_ns() + (uint64_t)delay_ms * 1000000ull;

	for (;;) {
		struct pollfd p[2] = { { .fd = master, .events = POLLIN },
				       { .fd = STDIN_FILENO, .events = POLLIN } };
		uint64_t now = util_now_ns();
		int wait_ms = 200;
		ssize_t n;

		if (now > deadline) {
			fprintf(stderr, "console-recv: timed out\n");
			exit(124);
		}
		if (input && now >= input_at) {
			if (util_write_full(master, input, strlen(input)) < 0)
				die("write to the pty");
			input = NULL;
		}
		if (poll(p, in_open ? 2 : 1, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n <= 0) /* EIO: every slave fd is closed */
				return;
			if (util_write_full(STDOUT_FILENO, buf, (size_t)n) < 0)
				die("write to stdout");
		}
		if (in_open && p[1].revents) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0)
				in_open = false;
			else if (util_write_full(master, buf, (size_t)n) < 0)
				die("write to the pty");
		}
	}
}

int main(int argc, char **argv)
{
	bool winsize = false;
	char *input = NULL, payload[4096];
	unsigned rows = 0, cols = 0;
	long delay_ms = 0, timeout_s = 600;
	int i, s, c, master;
	uint64_t deadline;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--winsize"))
			winsize = true;
		else if (!strcmp(argv[i], "--resize") && i + 1 < argc)
			sscanf(argv[++i], "%ux%u", &rows, &cols);
		else if (!strcmp(argv[i], "--input") && i + 1 < argc)
			input = argv[++i];
		else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay_ms = atol(argv[++i]);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atol(argv[++i]);
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: console-recv [--winsize] [--resize RxC] [--input TEXT] "
				"[--delay-ms N] [--timeout S] SOCKET\n");
		return 2;
	}
	if (input)
		unescape(input);
	deadline = util_now_ns() + (uint64_t)timeout_s * 1000000000ull;
	s = listen_at(argv[i]);
	{
		struct pollfd p = { .fd = s, .events = POLLIN };

		if (poll(&p, 1, (int)(timeout_s * 1000)) <= 0) {
			fprintf(stderr, "console-recv: nobody connected\n");
			return 124;
		}
	}
	c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept");
	master = recv_fd(c, payload, sizeof(payload));
	close(c);
	close(s);
	unlink(argv[i]);
	if (winsize) {
		struct winsize ws;

		if (ioctl(master, TIOCGWINSZ, &ws) < 0)
			die("TIOCGWINSZ on what we received (not a pty?)");
		fprintf(stderr, "winsize %u %u\n", ws.ws_row, ws.ws_col);
	}
	if (rows && cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };

		if (ioctl(master, TIOCSWINSZ, &ws) < 0)
			die("TIOCSWINSZ");
	}
	relay(master, input, (int)delay_ms, deadline);
	return 0;
}
