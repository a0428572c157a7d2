/* runvm delete [--force] ID */
#include <errno.h>

#include "runtime/opt.h"
#include "runtime/ops.h"
#include "runtime/rt.h"

enum { D_FORCE = 1 };

static const struct rt_opt delete_opts[] = {
	{ "force", 'f', RT_OPT_FLAG, D_FORCE },
	{ NULL, 0, 0, 0 },
};

int rt_cmd_delete(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	bool force = false;
	int id;

	rt_opt_init(&p, argc, argv, "delete");
	while ((id = rt_opt_next(&p, delete_opts, &val, err)) > 0)
		if (rt_opt_bool("force", val, &force, err) < 0)
			return -EINVAL;
	if (id < 0 || rt_opt_operands(&p, 1, err) < 0)
		return -EINVAL;
	return rt_delete(g, argv[p.idx], force, err);
}
