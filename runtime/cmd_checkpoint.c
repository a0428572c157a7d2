/* runvm checkpoint / restore: not supported, and say so with a failing status even
 * for --help (podman probes `checkpoint --help` to decide whether to offer it). */
#include <errno.h>

#include "runtime/rt.h"

int rt_cmd_checkpoint(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	return rt_err_set(err, ENOTSUP, "%s is not supported", argv[0]);
}
