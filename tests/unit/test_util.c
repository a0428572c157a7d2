/* Unit tests for common/util: full reads and writes across short transfers. */
#include "common/util.h"
#include "tests/unit/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

int main(void)
{
	int sv[2];
	char buf[8] = { 0 };

	ok(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	is_int(util_write_full(sv[0], "abc", 3), 0, "write_full writes all bytes");
	close(sv[0]);
	is_int(util_read_full(sv[1], buf, sizeof(buf)), 3, "read_full stops short at EOF");
	is_str(buf, "abc", "read_full got the bytes");
	is_int(util_read_full(sv[1], buf, sizeof(buf)), 0, "read_full at EOF returns 0");
	close(sv[1]);
	is_int(util_write_full(-1, "x", 1), -EBADF, "write_full returns -errno");
	ok(util_now_ns() > 0, "monotonic clock runs");
	return tap_done();
}
