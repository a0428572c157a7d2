/* tcp-sink ADDR PORT [TIMEOUT_S]: listens on ADDR:PORT (IPv4), accepts one
 * connection, reads it to EOF and prints "BYTES SECONDS MB/s", timed from the first
 * byte to EOF so that whatever the sender did before (a VM booting) is not in it.
 * For bench/net.sh. Exit 1 on an error or when nothing arrived within TIMEOUT_S
 * (default 600). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[256 * 1024];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned long long total = 0;
	double first = 0, last;
	int one = 1, l, c;
	ssize_t n;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: tcp-sink ADDR PORT [TIMEOUT_S]\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	alarm(argc > 3 ? (unsigned)atoi(argv[3]) : 600);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1)) {
		perror("tcp-sink: listen");
		return 1;
	}
	c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		perror("tcp-sink: accept");
		return 1;
	}
	while ((n = read(c, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("tcp-sink: read");
			return 1;
		}
		if (!total)
			first = now();
		total += (unsigned long long)n;
	}
	last = now();
	if (!total) {
		fprintf(stderr, "tcp-sink: nothing arrived\n");
		return 1;
	}
	printf("%llu %.3f %.1f\n", total, last - first,
	       last > first ? (double)total / 1e6 / (last - first) : 0.0);
	return 0;
}
