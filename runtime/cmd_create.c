/* runvm create [--bundle B] [--pid-file P] [--console-socket S] [--no-pivot]
 *              [--no-new-keyring] [--preserve-fds N] ID   (and run's -d, --keep) */
#include <errno.h>
#include <string.h>

#include "runtime/cmds.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

enum {
	C_BUNDLE = 1,
	C_PID_FILE,
	C_CONSOLE,
	C_NO_PIVOT,
	C_NO_KEYRING,
	C_PRESERVE,
	C_DETACH,
	C_KEEP,
	C_NO_SUBREAPER
};

static const struct rt_opt create_opts[] = {
	{ "bundle", 'b', RT_OPT_VALUE, C_BUNDLE },
	{ "pid-file", 0, RT_OPT_VALUE, C_PID_FILE },
	{ "console-socket", 0, RT_OPT_VALUE, C_CONSOLE },
	{ "no-pivot", 0, RT_OPT_FLAG, C_NO_PIVOT },
	{ "no-new-keyring", 0, RT_OPT_FLAG, C_NO_KEYRING },
	{ "preserve-fds", 0, RT_OPT_VALUE, C_PRESERVE },
	{ "detach", 'd', RT_OPT_FLAG, C_DETACH },
	{ "keep", 0, RT_OPT_FLAG, C_KEEP },
	{ "no-subreaper", 0, RT_OPT_FLAG, C_NO_SUBREAPER },
	{ NULL, 0, 0, 0 },
};

static int create_opt(int id, const char *val, bool run, struct rt_create_opts *o,
		      struct rt_run_flags *rf, struct rt_err *err)
{
	long long n;

	switch (id) {
	case C_BUNDLE:
		o->bundle = val;
		return 0;
	case C_PID_FILE:
		o->pid_file = val;
		return 0;
	case C_CONSOLE:
		o->console_socket = val;
		return 0;
	case C_NO_PIVOT:
		return rt_opt_bool("no-pivot", val, &o->no_pivot, err);
	case C_NO_KEYRING:
		return rt_opt_bool("no-new-keyring", val, &o->no_new_keyring, err);
	case C_PRESERVE:
		if (rt_opt_long("preserve-fds", val, 0, 1024, &n, err) < 0)
			return -EINVAL;
		o->preserve_fds = (int)n;
		return 0;
	case C_NO_SUBREAPER:
		return 0; /* the VMM is never our child to reap */
	}
	if (!run)
		return rt_err_set(err, EINVAL, "create: unknown option");
	if (id == C_DETACH)
		return rt_opt_bool("detach", val, &rf->detach, err);
	return rt_opt_bool("keep", val, &rf->keep, err);
}

int rt_create_parse(int argc, char **argv, bool run, struct rt_create_opts *o,
		    struct rt_run_flags *rf, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	int id;

	memset(o, 0, sizeof(*o));
	memset(rf, 0, sizeof(*rf));
	rt_opt_init(&p, argc, argv, run ? "run" : "create");
	while ((id = rt_opt_next(&p, create_opts, &val, err)) > 0) {
		if (!run && (id == C_DETACH || id == C_KEEP))
			return rt_err_set(err, EINVAL, "create: unknown option %s",
					  argv[p.idx - 1]);
		if (create_opt(id, val, run, o, rf, err) < 0)
			return -EINVAL;
	}
	if (id < 0 || rt_opt_operands(&p, 1, err) < 0)
		return -EINVAL;
	o->id = argv[p.idx];
	o->detach = !run || rf->detach;
	return 0;
}

int rt_cmd_create(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_create_opts o;
	struct rt_run_flags rf;

	if (rt_create_parse(argc, argv, false, &o, &rf, err) < 0)
		return -EINVAL;
	return rt_create(g, &o, err);
}
