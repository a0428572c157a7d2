/* Host-side test helper for runvm-vmm's hybrid vsock (Firecracker-compatible):
 *   vsock-host connect UDS PORT [--retry SECS]  host->guest: CONNECT, then relay
 *   vsock-host listen PATH                      guest->host: accept one, receive
 * connect copies stdin to the socket (half-closing at EOF) and the socket to
 * stdout until the peer closes. listen only receives: it keeps its side open until
 * the guest closes, so the guest knows the host has everything before it goes on.
 * Exit 3 when the guest refused the connection. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int unix_addr(const char *path, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path)) {
		fprintf(stderr, "vsock-host: path too long: %s\n", path);
		return -1;
	}
	strcpy(a->sun_path, path);
	return 0;
}

static int relay(int s, int use_stdin)
{
	static char buf[65536];
	struct pollfd p[2] = { { .fd = use_stdin ? 0 : -1, .events = POLLIN },
			       { .fd = s, .events = POLLIN } };
	int in_open = use_stdin;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (in_open && p[0].revents) {
			ssize_t n = read(0, buf, sizeof(buf));

			if (n <= 0) {
				shutdown(s, SHUT_WR);
				in_open = 0;
				p[0].fd = -1;
			} else {
				for (ssize_t off = 0; off < n;) {
					ssize_t w = write(s, buf + off, (size_t)(n - off));

					if (w < 0)
						return -1;
					off += w;
				}
			}
		}
		if (p[1].revents) {
			ssize_t n = read(s, buf, sizeof(buf));

			if (n < 0)
				return errno == ECONNRESET ? 0 : -1;
			if (n == 0)
				return 0;
			for (ssize_t off = 0; off < n;) {
				ssize_t w = write(1, buf + off, (size_t)(n - off));

				if (w < 0)
					return -1;
				off += w;
			}
		}
	}
}

/* Sends CONNECT and reads the reply line; 0 on OK, 3 on refusal, 1 on error. */
static int handshake(int s, const char *port)
{
	char line[64];
	size_t len = 0;

	dprintf(s, "CONNECT %s\n", port);
	while (len < sizeof(line) - 1) {
		ssize_t n = read(s, line + len, 1);

		if (n <= 0)
			return 3;
		if (line[len++] == '\n')
			break;
	}
	line[len] = 0;
	if (strncmp(line, "OK ", 3)) {
		fprintf(stderr, "vsock-host: unexpected reply: %s\n", line);
		return 1;
	}
	return 0;
}

static int do_connect(const char *uds, const char *port, double retry)
{
	struct sockaddr_un a;
	struct timespec t0, t;
	int rc;

	if (unix_addr(uds, &a))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
			rc = handshake(s, port);
			if (rc == 0)
				return relay(s, 1) ? 1 : 0;
		} else {
			rc = 1;
		}
		close(s);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= retry)
			break;
		usleep(100000);
	}
	if (rc == 3)
		fprintf(stderr, "vsock-host: connection refused by the guest (port %s)\n", port);
	else
		fprintf(stderr, "vsock-host: cannot connect to %s: %s\n", uds, strerror(errno));
	return rc;
}

static int do_listen(const char *path)
{
	struct sockaddr_un a;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (unix_addr(path, &a))
		return 1;
	unlink(path);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1)) {
		fprintf(stderr, "vsock-host: listen on %s: %s\n", path, strerror(errno));
		return 1;
	}
	int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);

	close(l);
	unlink(path);
	if (s < 0)
		return 1;
	return relay(s, 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "connect")) {
		double retry = argc >= 6 && !strcmp(argv[4], "--retry") ? atof(argv[5]) : 0;

		return do_connect(argv[2], argv[3], retry);
	}
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return do_listen(argv[2]);
	fprintf(stderr, "usage: vsock-host connect UDS PORT [--retry SECS] | listen PATH\n");
	return 2;
}
