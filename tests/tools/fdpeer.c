/* fdpeer: runs a command with a socket of a chosen kind as one of its fds, for
 * the --preserve-fds tests (runvm run, agent-client --extra), and plays the
 * other end of it.
 *
 *   fdpeer [--tcp] [--in FILE] [--hold] [--out FILE] [--fd N] -- CMD ARGS...
 *       A connected stream socket (AF_UNIX socketpair, or TCP over 127.0.0.1):
 *       one end is CMD's fd N (default 3), we keep the other. FILE of --in is
 *       written to it, then our write side is shut down (at once without --in;
 *       with --hold only once the peer's side has reached EOF, so that its EOF
 *       cannot be the echo of ours). What arrives up to EOF goes to --out
 *       (default: stdout). Exits with CMD's status (128 + N if killed), or 125.
 *   fdpeer --listen|--dgram [--fd N] -- CMD ARGS...
 *       fd N is a listening AF_UNIX stream socket, or an AF_UNIX datagram
 *       socket; nothing is played. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct opts {
	bool tcp, hold, listen, dgram;
	const char *in, *out;
	int fd;
};

static void usage(void)
{
	fprintf(stderr, "usage: fdpeer [--tcp|--listen|--dgram] [--in FILE] [--hold] "
			"[--out FILE] [--fd N] -- CMD ARGS...\n");
	exit(125);
}

static void die(const char *what)
{
	fprintf(stderr, "fdpeer: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* A connected TCP pair over the loopback. */
static void tcp_pair(int sv[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		die("tcp listen");
	sv[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, len))
		die("tcp connect");
	sv[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (sv[1] < 0)
		die("tcp accept");
	close(l);
}

/* sv[0] is ours (-1 when nothing is played), sv[1] the command's. */
static void make_socket(const struct opts *o, int sv[2])
{
	sv[0] = -1;
	if (o->listen || o->dgram) {
		sv[1] = socket(AF_UNIX, (o->listen ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
		/* An autobound abstract address: nothing on disk to clean up. */
		if (sv[1] < 0 || bind(sv[1], &(struct sockaddr){ .sa_family = AF_UNIX },
				      sizeof(sa_family_t)) ||
		    (o->listen && listen(sv[1], 4)))
			die("socket");
	} else if (o->tcp) {
		tcp_pair(sv);
	} else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		die("socketpair");
	}
}

static pid_t spawn(char **argv, int fd, int want)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (dup2(fd, want) < 0)
			_exit(125);
		execvp(argv[0], argv);
		fprintf(stderr, "fdpeer: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Feeds in_fd to s (then shuts our side down) and copies s to out_fd until EOF. */
static void play(int s, int in_fd, int out_fd, bool hold)
{
	char ib[65536], ob[65536];
	size_t ilen = 0, ioff = 0;
	bool in_eof = in_fd < 0, shut = false, s_eof = false;

	while (!s_eof) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (!shut && in_eof && ioff == ilen && (!hold || s_eof)) {
			shutdown(s, SHUT_WR);
			shut = true;
		}
		if (!in_eof && ioff == ilen) {
			n = read(in_fd, ib, sizeof(ib));
			if (n <= 0)
				in_eof = true;
			ilen = n > 0 ? (size_t)n : 0;
			ioff = 0;
			continue;
		}
		if (ioff < ilen)
			p.events |= POLLOUT;
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("poll");
		if (p.revents & POLLOUT) {
			n = write(s, ib + ioff, ilen - ioff);
			if (n < 0)
				die("write to the socket");
			ioff += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(s, ob, sizeof(ob));
			if (n < 0)
				die("read from the socket");
			s_eof = n == 0;
			if (n > 0 && write(out_fd, ob, (size_t)n) != n)
				die("write out");
		}
	}
	if (!shut)
		shutdown(s, SHUT_WR);
}

int main(int argc, char **argv)
{
	struct opts o = { .fd = 3 };
	int i, sv[2], in_fd = -1, out_fd = STDOUT_FILENO, st;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--tcp") || !strcmp(a, "--hold") || !strcmp(a, "--listen") ||
		    !strcmp(a, "--dgram")) {
			o.tcp |= a[2] == 't';
			o.hold |= a[2] == 'h';
			o.listen |= a[2] == 'l';
			o.dgram |= a[2] == 'd';
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(a, "--in"))
			o.in = v;
		else if (!strcmp(a, "--out"))
			o.out = v;
		else if (!strcmp(a, "--fd"))
			o.fd = atoi(v);
		else
			usage();
		i++;
	}
	if (i + 1 >= argc || o.fd < 3)
		usage();
	make_socket(&o, sv);
	if (o.in && (in_fd = open(o.in, O_RDONLY | O_CLOEXEC)) < 0)
		die(o.in);
	if (o.out && (out_fd = open(o.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		die(o.out);
	pid = spawn(argv + i + 1, sv[1], o.fd);
	close(sv[1]);
	if (sv[0] >= 0)
		play(sv[0], in_fd, out_fd, o.hold);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
