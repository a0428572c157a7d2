/* runvm, the OCI runtime CLI: global options, the command table's entry type, and
 * the per-command entry points (runtime/cmd_*.c). */
#ifndef RUNVM_RUNTIME_RT_H
#define RUNVM_RUNTIME_RT_H

#include <stdbool.h>

#include "common/err.h"

#define RT_SPEC_VERSION "1.1.0"
#define RT_DEFAULT_ROOT "/run/runvm"

enum rt_log_format {
	RT_LOG_TEXT,
	RT_LOG_JSON,
};

enum rt_cgroup_manager {
	RT_CGROUP_CGROUPFS,
	RT_CGROUP_SYSTEMD,
	RT_CGROUP_DISABLED,
};

struct rt_globals {
	const char *root;
	const char *log_path; /* NULL: stderr only */
	enum rt_log_format log_format;
	bool debug;
	enum rt_cgroup_manager cgroup_manager;
	int rootless; /* -1: auto, 0, 1 */
};

/* What main does when the global options ask for no command. */
enum rt_early {
	RT_EARLY_NONE,
	RT_EARLY_VERSION,
	RT_EARLY_HELP,
	RT_EARLY_NO_COMMAND,
};

/* Parses the global options before the command. On success *cmd_idx is the index
 * of the command in argv, or 0 with *early set (-v, -h, or no command at all). */
int rt_globals_parse(int argc, char **argv, struct rt_globals *g, int *cmd_idx,
		     enum rt_early *early, struct rt_err *err);
void rt_globals_default(struct rt_globals *g);
const char *rt_cgroup_manager_name(enum rt_cgroup_manager m);

/* One command: argv[0] is the command name, options follow. 0 or -errno. */
typedef int (*rt_cmd_fn)(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);

struct rt_cmd {
	const char *name;
	rt_cmd_fn fn;
	const char *summary;
};

int rt_cmd_create(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_start(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_run(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_state(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_kill(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_delete(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_exec(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_ps(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_pause(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_resume(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_update(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_list(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_spec(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_features(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_check(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);
int rt_cmd_checkpoint(const struct rt_globals *g, int argc, char **argv, struct rt_err *err);

/* A command's exit status when it is not just 0/1 (run and exec in the foreground
 * exit like the container's process): set by the command, read by main. */
extern int rt_exit_status;

#endif
