/* runvm run [-d] [--keep] [create's options] ID: create, then start; in the
 * foreground, wait and exit like the container's process. */
#include "runtime/cmds.h"
#include "runtime/logging.h"
#include "runtime/rt.h"

int rt_cmd_run(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_create_opts o;
	struct rt_run_flags rf;
	struct rt_err derr;
	int r, status = 0;

	r = rt_create_parse(argc, argv, true, &o, &rf, err);
	if (r < 0)
		return r;
	r = rt_create(g, &o, err);
	if (r < 0)
		return r;
	r = rt_start(g, o.id, err);
	if (r == 0 && !rf.detach)
		r = rt_wait(g, o.id, &status, err);
	/* A failed start, or a finished foreground run without --keep, is deleted. */
	if ((r < 0 || (!rf.detach && !rf.keep)) && rt_delete(g, o.id, true, &derr) < 0)
		rt_log_warn("run: cleanup: %s", derr.msg);
	if (r == 0 && !rf.detach)
		rt_exit_status = status;
	return r;
}
