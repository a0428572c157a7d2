/* --preserve-fds: the caller's extra fds cannot reach a process that runs under
 * another kernel. A byte stream could be relayed (as stdio is), but a listening
 * socket, a device or a shared file offset cannot, and a relay would change what
 * the process sees; runvm refuses them all rather than pretend. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "runtime/logging.h"
#include "runtime/ops.h"

static const char *fd_kind(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFIFO:
		return "a pipe";
	case S_IFSOCK:
		return "a socket";
	case S_IFREG:
		return "a regular file";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	default:
		return "a file";
	}
}

/* Only the first fd is named: every one of them would be refused alike. */
int rt_preserve_fds_check(int first, int n, struct rt_err *err)
{
	struct stat st;

	if (n <= 0)
		return 0;
	/* Our own log took a number the caller left closed. */
	if (first == rt_log_fd() || fstat(first, &st) < 0)
		return rt_err_set(err, EBADF, "--preserve-fds %d: fd %d is not open", n, first);
	return rt_err_set(err, EINVAL,
			  "--preserve-fds %d: fd %d (%s) cannot be passed into the container: "
			  "its process runs in a VM under its own kernel, and runvm carries only "
			  "stdio (fds 0-2) into the guest; pass data on stdio or through a bind "
			  "mount",
			  n, first, fd_kind(st.st_mode));
}
