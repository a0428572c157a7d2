/* --preserve-fds N (create, run): the caller's fds 3 .. 3+N-1 for the container's
 * process, which runs under the guest's kernel: no fd can cross as such. What is
 * a byte stream is relayed instead (the VMM and runvm-init, see "extra fds" in
 * common/proto.h), so that the process finds fd 3+i open and the bytes, and the
 * EOFs, flow as they would with runc:
 *   - a pipe or FIFO end, a regular file or a character device opened read-only
 *     or write-only: one direction (IN: the process reads a pipe fed with what
 *     the fd gives, up to its EOF; OUT: what the process writes goes to the fd);
 *   - a connected stream socket (AF_UNIX, TCP...): both ways, with shutdowns
 *     passed on each way (the process has one end of an AF_UNIX socketpair);
 *   - /dev/null, in any mode: the guest's own, in the same mode.
 * The process sees a pipe or a socketpair, never the caller's file: what needs
 * the file itself cannot be honoured and is refused, naming the fd and why. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/logging.h"
#include "runtime/ops.h"

#define PF_WHY_RW "a relay carries a stream one way or the other, so the process could " \
		  "not seek in it nor read back what it wrote; pass it read-only or write-only"
#define PF_WHY_STREAM "runvm can relay only byte streams (pipes, files and devices opened " \
		      "read-only or write-only, connected stream sockets)"

struct pf_kind {
	uint32_t dir; /* 0: refused */
	char what[96];
	const char *why;
};

static const char *pf_mode_name(int acc)
{
	return acc == O_RDONLY ? "read-only" : acc == O_WRONLY ? "write-only" : "read-write";
}

/* One direction from the access mode; read-write is refused unless both = true. */
static void pf_by_mode(struct pf_kind *k, int acc, bool both)
{
	if (acc == O_RDONLY)
		k->dir = PROTO_EXTRA_IN;
	else if (acc == O_WRONLY)
		k->dir = PROTO_EXTRA_OUT;
	else if (both)
		k->dir = PROTO_EXTRA_BOTH;
	else
		k->why = PF_WHY_RW;
}

static void pf_socket(int fd, struct pf_kind *k)
{
	int type = 0, listening = 0;
	socklen_t len = sizeof(type), llen = sizeof(listening);
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);

	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &llen);
	if (listening) {
		snprintf(k->what, sizeof(k->what), "a listening socket");
		k->why = "accepting connections (socket activation) cannot be relayed: the "
			 "process would accept them on a socket of its own kernel, of another "
			 "address family and address than the one it was given";
	} else if (type != SOCK_STREAM) {
		snprintf(k->what, sizeof(k->what), "a %s socket",
			 type == SOCK_DGRAM ? "datagram" : type == SOCK_SEQPACKET ? "seqpacket"
									 : "non-stream");
		k->why = "a relay is a byte stream and would lose its message boundaries";
	} else if (getpeername(fd, (struct sockaddr *)&peer, &plen) < 0) {
		snprintf(k->what, sizeof(k->what), "an unconnected stream socket");
		k->why = PF_WHY_STREAM;
	} else {
		snprintf(k->what, sizeof(k->what), "a connected stream socket");
		k->dir = PROTO_EXTRA_BOTH;
	}
}

/* Anonymous inodes (eventfd, epoll, timerfd, pidfd...) have no file type:
 * /proc says what they are. */
static void pf_other(int fd, struct pf_kind *k)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(k->what, sizeof(k->what), "%s", n > 0 ? link : "a file of no known type");
	k->why = PF_WHY_STREAM;
}

static void pf_classify(int fd, const struct stat *st, struct pf_kind *k)
{
	int fl = fcntl(fd, F_GETFL), acc = fl < 0 ? O_RDWR : fl & O_ACCMODE;

	memset(k, 0, sizeof(*k));
	switch (st->st_mode & S_IFMT) {
	case S_IFIFO:
		snprintf(k->what, sizeof(k->what), "a pipe or FIFO opened %s", pf_mode_name(acc));
		return pf_by_mode(k, acc, false);
	case S_IFREG:
		snprintf(k->what, sizeof(k->what), "a regular file opened %s", pf_mode_name(acc));
		return pf_by_mode(k, acc, false);
	case S_IFCHR: {
		bool null = util_is_devnull(st);

		snprintf(k->what, sizeof(k->what), "%s opened %s",
			 null ? "/dev/null" : "a character device", pf_mode_name(acc));
		return pf_by_mode(k, acc, null);
	}
	case S_IFSOCK:
		return pf_socket(fd, k);
	case S_IFDIR:
		snprintf(k->what, sizeof(k->what), "a directory");
		k->why = PF_WHY_STREAM;
		return;
	case S_IFBLK:
		snprintf(k->what, sizeof(k->what), "a block device");
		k->why = PF_WHY_STREAM;
		return;
	default:
		return pf_other(fd, k);
	}
}

int rt_preserve_fds_classify(int first, int n, struct proto_extra_fd *out, struct rt_err *err)
{
	if (n > RT_PRESERVE_FDS_MAX)
		return rt_err_set(err, E2BIG,
				  "--preserve-fds %d: runvm relays at most %d fds (3 to %d)", n,
				  RT_PRESERVE_FDS_MAX, 2 + RT_PRESERVE_FDS_MAX);
	for (int i = 0; i < n; i++) {
		int fd = first + i;
		struct pf_kind k;
		struct stat st;

		/* Our own log took a number the caller left closed. */
		if (fd == rt_log_fd() || fstat(fd, &st) < 0)
			return rt_err_set(err, EBADF, "--preserve-fds %d: fd %d is not open", n, fd);
		pf_classify(fd, &st, &k);
		if (!k.dir)
			return rt_err_set(err, EINVAL,
					  "--preserve-fds %d: fd %d (%s) cannot be relayed into "
					  "the container: %s",
					  n, fd, k.what, k.why);
		out[i] = (struct proto_extra_fd){ .dir = k.dir };
		rt_log_debug("--preserve-fds: fd %d, %s, relayed %s", fd, k.what,
			     k.dir == PROTO_EXTRA_IN ? "in" : k.dir == PROTO_EXTRA_OUT ? "out"
										: "both ways");
	}
	return 0;
}
