/* Global options (before the command), as runc and crun spell them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/opt.h"
#include "runtime/rt.h"

enum {
	G_ROOT = 1,
	G_LOG,
	G_LOG_FORMAT,
	G_DEBUG,
	G_SYSTEMD,
	G_ROOTLESS,
	G_CGMGR,
	G_CRIU,
	G_VERSION,
	G_HELP
};

int rt_exit_status;

static const struct rt_opt global_opts[] = {
	{ "root", 0, RT_OPT_VALUE, G_ROOT },
	{ "log", 0, RT_OPT_VALUE, G_LOG },
	{ "log-format", 0, RT_OPT_VALUE, G_LOG_FORMAT },
	{ "debug", 0, RT_OPT_FLAG, G_DEBUG },
	{ "systemd-cgroup", 0, RT_OPT_FLAG, G_SYSTEMD },
	{ "rootless", 0, RT_OPT_FLAG, G_ROOTLESS },
	{ "cgroup-manager", 0, RT_OPT_VALUE, G_CGMGR },
	{ "criu", 0, RT_OPT_VALUE, G_CRIU },
	{ "version", 'v', RT_OPT_FLAG, G_VERSION },
	{ "help", 'h', RT_OPT_FLAG, G_HELP },
	{ NULL, 0, 0, 0 },
};

static const char *const cgroup_manager_names[] = {
	[RT_CGROUP_CGROUPFS] = "cgroupfs",
	[RT_CGROUP_SYSTEMD] = "systemd",
	[RT_CGROUP_DISABLED] = "disabled",
};

const char *rt_cgroup_manager_name(enum rt_cgroup_manager m)
{
	return (unsigned)m <= RT_CGROUP_DISABLED ? cgroup_manager_names[m] : "?";
}

void rt_globals_default(struct rt_globals *g)
{
	static char user_root[PATH_MAX];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	memset(g, 0, sizeof(*g));
	g->root = RT_DEFAULT_ROOT;
	/* Like runc: an unprivileged user's containers live in their runtime dir. */
	if (geteuid() != 0 && xdg && *xdg) {
		int n = snprintf(user_root, sizeof(user_root), "%s/runvm", xdg);

		if (n > 0 && (size_t)n < sizeof(user_root))
			g->root = user_root;
	}
	g->log_format = RT_LOG_TEXT;
	g->cgroup_manager = RT_CGROUP_CGROUPFS;
	g->rootless = -1;
}

static int global_value(struct rt_globals *g, int id, const char *val, struct rt_err *err)
{
	bool b;

	switch (id) {
	case G_ROOT:
		if (!*val)
			return rt_err_set(err, EINVAL, "--root: must not be empty");
		g->root = val;
		return 0;
	case G_LOG:
		g->log_path = *val ? val : NULL;
		return 0;
	case G_LOG_FORMAT:
		if (!strcmp(val, "text"))
			g->log_format = RT_LOG_TEXT;
		else if (!strcmp(val, "json"))
			g->log_format = RT_LOG_JSON;
		else
			return rt_err_set(err, EINVAL,
					  "--log-format: expected text or json, got \"%s\"", val);
		return 0;
	case G_CGMGR:
		for (int m = 0; m <= RT_CGROUP_DISABLED; m++) {
			if (!strcmp(val, cgroup_manager_names[m])) {
				g->cgroup_manager = m;
				return 0;
			}
		}
		return rt_err_set(
		    err, EINVAL,
		    "--cgroup-manager: expected cgroupfs, systemd or disabled, got \"%s\"", val);
	case G_ROOTLESS:
		if (val && !strcmp(val, "auto")) {
			g->rootless = -1;
			return 0;
		}
		if (rt_opt_bool("rootless", val, &b, err) < 0)
			return -EINVAL;
		g->rootless = b;
		return 0;
	}
	return 0;
}

static bool rootless_word(const char *s)
{
	return !strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "auto");
}

int rt_globals_parse(int argc, char **argv, struct rt_globals *g, int *cmd_idx,
		     enum rt_early *early, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	bool b;
	int id;

	rt_globals_default(g);
	*early = RT_EARLY_NONE;
	*cmd_idx = 0;
	rt_opt_init(&p, argc, argv, "runvm");
	while ((id = rt_opt_next(&p, global_opts, &val, err)) > 0) {
		switch (id) {
		case G_VERSION:
			*early = RT_EARLY_VERSION;
			return 0;
		case G_HELP:
			*early = RT_EARLY_HELP;
			return 0;
		case G_DEBUG:
			if (rt_opt_bool("debug", val, &g->debug, err) < 0)
				return -EINVAL;
			break;
		case G_SYSTEMD:
			if (rt_opt_bool("systemd-cgroup", val, &b, err) < 0)
				return -EINVAL;
			g->cgroup_manager = b ? RT_CGROUP_SYSTEMD : RT_CGROUP_CGROUPFS;
			break;
		case G_CRIU:
			break; /* checkpointing is not supported: the path is irrelevant */
		case G_ROOTLESS:
			/* runc's flag takes a value: `--rootless true` too (no command is
			 * called true, false or auto). */
			if (!val && p.idx < argc && rootless_word(argv[p.idx]))
				val = argv[p.idx++];
			if (global_value(g, id, val, err) < 0)
				return -EINVAL;
			break;
		default:
			if (global_value(g, id, val, err) < 0)
				return -EINVAL;
		}
	}
	if (id < 0)
		return id;
	if (p.idx >= argc) {
		*early = RT_EARLY_NO_COMMAND;
		return 0;
	}
	*cmd_idx = p.idx;
	return 0;
}
