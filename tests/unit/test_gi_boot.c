/* Unit tests of runvm-init's kernel command line parsing and error messages. */
#include <errno.h>
#include <string.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

int main(void)
{
	const char *cl = "console=ttyS0 reboot=k runvm.port=2048 runvm.portx=1 quiet\n";
	char v[16];
	struct gi_err e = { 0 };

	ok(!gi_cmdline_get(cl, "runvm.port", v, sizeof(v)) && !strcmp(v, "2048"), "runvm.port=2048");
	ok(!gi_cmdline_get(cl, "console", v, sizeof(v)) && !strcmp(v, "ttyS0"), "the first word");
	is_int(gi_cmdline_get(cl, "quiet", v, sizeof(v)), -ENOENT, "a word without a value is no key");
	is_int(gi_cmdline_get(cl, "runvm", v, sizeof(v)), -ENOENT, "a prefix of a key does not match");
	is_int(gi_cmdline_get("k=0123456789abcdef", "k", v, sizeof(v)), -ENAMETOOLONG,
	       "a value longer than the buffer is refused");
	is_int(gi_failerr(&e, -ENOENT, "mount %s", "/x"), -ENOENT, "gi_failerr returns the error");
	is_str(e.msg, "mount /x: No such file or directory", "and says what failed and why");
	gi_fail(&e, -EINVAL, "later");
	is_str(e.msg, "mount /x: No such file or directory", "the first cause is kept");
	return tap_done();
}
