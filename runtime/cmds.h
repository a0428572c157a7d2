/* Argument parsing of the commands that take more than an ID, kept apart from
 * the commands themselves so that unit tests can call it. */
#ifndef RUNVM_RUNTIME_CMDS_H
#define RUNVM_RUNTIME_CMDS_H

#include <stdbool.h>

#include "common/err.h"
#include "oci/config.h"
#include "runtime/ops.h"

struct rt_run_flags {
	bool detach; /* run -d */
	bool keep;   /* run --keep */
};

/* create and run (run is true for `run`, which adds -d and --keep into rf). */
int rt_create_parse(int argc, char **argv, bool run, struct rt_create_opts *o,
		    struct rt_run_flags *rf, struct rt_err *err);

struct rt_kill_args {
	const char *id;
	int sig;
	bool all;
};
int rt_kill_parse(int argc, char **argv, struct rt_kill_args *k, struct rt_err *err);

/* exec: o->env and o->caps must be freed with rt_exec_opts_fini. */
int rt_exec_parse(int argc, char **argv, struct rt_exec_opts *o, struct rt_err *err);

/* update: the resources (from --resources FILE|- and the single flags), *id. */
int rt_update_parse(int argc, char **argv, struct oci_resources *res, const char **id,
		    struct rt_err *err);

/* "512m", "1G", "1024", "-1" -> bytes (binary multiples, -1: unlimited). */
int rt_parse_bytes(const char *opt, const char *s, int64_t *out, struct rt_err *err);

#endif
