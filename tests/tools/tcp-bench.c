/* A TCP throughput pair for bench/net.sh, static so that it also runs inside a
 * busybox container (the Makefile links it so):
 *   tcp-bench sink ADDR PORT [TIMEOUT_S]   listen (IPv4), accept one connection, read it
 *                                          to EOF, print "BYTES SECONDS MB/s" timed from
 *                                          the first byte to EOF
 *   tcp-bench send ADDR PORT MIB [WAIT_S]  connect (retrying for WAIT_S, default 300,
 *                                          while nobody listens yet), write MIB MiB in
 *                                          256 KiB writes, close
 * MB = 10^6 bytes. Large writes from memory: the figure is the network path's, not a
 * shell pipeline's (busybox dd | nc copies 1 KiB at a time). Exit 1 on an error or
 * when nothing arrived within TIMEOUT_S (default 600). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static char buf[CHUNK];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sink(const struct sockaddr_in *sa)
{
	unsigned long long total = 0;
	double first = 0, last;
	int one = 1, l, c;
	ssize_t n;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (const struct sockaddr *)sa, sizeof(*sa)) || listen(l, 1)) {
		perror("tcp-bench: listen");
		return 1;
	}
	c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("tcp-bench: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcp-bench: read");
			return 1;
		}
		if (!total)
			first = now();
		total += (unsigned long long)n;
	}
	last = now();
	if (!total) {
		fprintf(stderr, "tcp-bench: nothing arrived\n");
		return 1;
	}
	printf("%llu %.3f %.1f\n", total, last - first,
	       last > first ? (double)total / 1e6 / (last - first) : 0.0);
	return 0;
}

static int send_mib(const struct sockaddr_in *sa, unsigned long long mib, int wait_s)
{
	unsigned long long left = mib << 20;
	double end = now() + wait_s;
	int s = -1;

	for (;;) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s >= 0 && connect(s, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			break;
		if (s >= 0)
			close(s);
		if (now() > end) {
			perror("tcp-bench: connect");
			return 1;
		}
		usleep(200 * 1000);
	}
	while (left) {
		ssize_t n = write(s, buf, left < sizeof(buf) ? left : sizeof(buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcp-bench: write");
			return 1;
		}
		left -= (unsigned long long)n;
	}
	return close(s) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	if (argc < 4 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: tcp-bench sink ADDR PORT [TIMEOUT_S]\n"
				"       tcp-bench send ADDR PORT MIB [WAIT_S]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[3]));
	if (!strcmp(argv[1], "sink")) {
		alarm(argc > 4 ? (unsigned)atoi(argv[4]) : 600);
		return sink(&sa);
	}
	if (!strcmp(argv[1], "send") && argc > 4)
		return send_mib(&sa, strtoull(argv[4], NULL, 10), argc > 5 ? atoi(argv[5]) : 300);
	fprintf(stderr, "tcp-bench: unknown mode %s\n", argv[1]);
	return 2;
}
