/* runvm: the OCI runtime CLI. Global options, the command table, and the one place
 * where an error is reported and turned into the exit status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "runtime/logging.h"
#include "runtime/rt.h"

static const struct rt_cmd rt_cmds[] = {
	{ "create", rt_cmd_create, "create a container (boots its VM, waits for start)" },
	{ "start", rt_cmd_start, "start the process of a created container" },
	{ "run", rt_cmd_run, "create and start a container" },
	{ "state", rt_cmd_state, "print the state of a container as JSON" },
	{ "kill", rt_cmd_kill, "send a signal to the container's process" },
	{ "delete", rt_cmd_delete, "delete a stopped container (--force: any)" },
	{ "exec", rt_cmd_exec, "run a new process in a container" },
	{ "ps", rt_cmd_ps, "list the container's host processes" },
	{ "pause", rt_cmd_pause, "freeze a container's VM" },
	{ "resume", rt_cmd_resume, "thaw a paused container's VM" },
	{ "update", rt_cmd_update, "update the container's resource limits" },
	{ "list", rt_cmd_list, "list the containers" },
	{ "spec", rt_cmd_spec, "write a default config.json" },
	{ "features", rt_cmd_features, "print the supported features as JSON" },
	{ "check", rt_cmd_check, "say whether this host can run runvm containers" },
	{ "checkpoint", rt_cmd_checkpoint, "(not supported)" },
	{ "restore", rt_cmd_checkpoint, "(not supported)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: runvm [global options] COMMAND [options] [ID]\n"
		   "\n"
		   "An OCI runtime that runs every container in its own KVM microVM.\n"
		   "\n"
		   "Global options:\n"
		   "  --root DIR               state directory (default " RT_DEFAULT_ROOT ")\n"
		   "  --log FILE               append log lines to FILE\n"
		   "  --log-format text|json   format of the log lines\n"
		   "  --debug                  debug logging\n"
		   "  --systemd-cgroup         use systemd for cgroups (same as\n"
		   "                           --cgroup-manager systemd)\n"
		   "  --cgroup-manager M       cgroupfs, systemd or disabled\n"
		   "  --rootless[=true|false|auto]\n"
		   "  -v, --version, -h, --help\n"
		   "\n"
		   "Commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(rt_cmds); i++)
		fprintf(f, "  %-11s %s\n", rt_cmds[i].name, rt_cmds[i].summary);
}

static const struct rt_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rt_cmds); i++)
		if (!strcmp(rt_cmds[i].name, name))
			return &rt_cmds[i];
	return NULL;
}

static int early(enum rt_early what)
{
	switch (what) {
	case RT_EARLY_VERSION:
		printf("runvm version %s\ncommit: %s\nspec: %s\n", RUNVM_VERSION, RUNVM_COMMIT,
		       RT_SPEC_VERSION);
		return 0;
	case RT_EARLY_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 1;
	}
}

static int fail(const struct rt_err *err)
{
	rt_log_error(err->msg[0] ? err->msg : "unknown error");
	rt_log_close();
	return 1;
}

/* A closed fd 0, 1 or 2 would be handed out by the next open() and end up as
 * the VMM's stdio; a write to a closed socket must be an error, not SIGPIPE. */
static void sane_process(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			break;
	signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
	struct rt_globals g;
	struct rt_err err = { 0 };
	const struct rt_cmd *cmd;
	enum rt_early what;
	int idx;

	sane_process();
	if (rt_globals_parse(argc, argv, &g, &idx, &what, &err) < 0)
		return fail(&err);
	if (what != RT_EARLY_NONE)
		return early(what);
	rt_log_setup(&g);
	if (!strcmp(argv[idx], "help"))
		return early(RT_EARLY_HELP);
	if (!strcmp(argv[idx], "version"))
		return early(RT_EARLY_VERSION);
	cmd = find_cmd(argv[idx]);
	if (!cmd) {
		rt_err_set(&err, EINVAL, "unknown command \"%s\" (see runvm --help)", argv[idx]);
		return fail(&err);
	}
	/* `CMD --help`: the summary. Not for checkpoint/restore, whose --help must fail
	 * (podman's probe). */
	if (argc - idx == 2 && (!strcmp(argv[idx + 1], "--help") || !strcmp(argv[idx + 1], "-h")) &&
	    cmd->fn != rt_cmd_checkpoint) {
		printf("runvm %s: %s\n(see runvm --help for the global options)\n", cmd->name,
		       cmd->summary);
		return 0;
	}
	if (cmd->fn(&g, argc - idx, argv + idx, &err) < 0) {
		rt_err_prefix(&err, "%s", cmd->name);
		return fail(&err);
	}
	rt_log_close();
	if (fflush(stdout) != 0)
		return 1;
	return rt_exit_status;
}
