/* runvm resume ID: thaw the VM. */
#include <errno.h>

#include "runtime/opt.h"
#include "runtime/ops.h"
#include "runtime/rt.h"

int rt_cmd_resume(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	const char *id;

	if (rt_opt_id_only(argc, argv, "resume", &id, err) < 0)
		return -EINVAL;
	return rt_resume(g, id, err);
}
