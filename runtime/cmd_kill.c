/* runvm kill [--all] ID [SIGNAL]: SIGNAL as a number, KILL or SIGKILL; TERM by
 * default. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "runtime/cmds.h"
#include "runtime/opt.h"
#include "runtime/rt.h"
#include "runtime/signal.h"

enum { K_ALL = 1 };

static const struct rt_opt kill_opts[] = {
	{ "all", 'a', RT_OPT_FLAG, K_ALL },
	{ NULL, 0, 0, 0 },
};

int rt_kill_parse(int argc, char **argv, struct rt_kill_args *k, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	int id, n;

	memset(k, 0, sizeof(*k));
	k->sig = SIGTERM;
	rt_opt_init(&p, argc, argv, "kill");
	while ((id = rt_opt_next(&p, kill_opts, &val, err)) > 0)
		if (rt_opt_bool("all", val, &k->all, err) < 0)
			return -EINVAL;
	if (id < 0)
		return id;
	n = argc - p.idx;
	if (n < 1 || n > 2)
		return rt_err_set(err, EINVAL,
				  "\"kill\" requires a container ID and at most one signal");
	k->id = argv[p.idx];
	if (n == 2 && rt_signal_parse(argv[p.idx + 1], &k->sig, err) < 0)
		return -EINVAL;
	return 0;
}

int rt_cmd_kill(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_kill_args k;

	if (rt_kill_parse(argc, argv, &k, err) < 0)
		return -EINVAL;
	return rt_kill(g, k.id, k.sig, k.all, err);
}
