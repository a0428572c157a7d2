/* The container operations behind the commands (runtime/create.c, lifecycle.c,
 * exec.c): state checks and transitions, hooks, cleanup. The VM work itself goes
 * through runtime/vm.h. */
#ifndef RUNVM_RUNTIME_OPS_H
#define RUNVM_RUNTIME_OPS_H

#include <stdbool.h>

#include "common/err.h"
#include "common/proto.h"
#include "oci/config.h"
#include "oci/json.h"
#include "runtime/rt.h"

struct rt_create_opts {
	const char *id;
	const char *bundle; /* NULL: the current directory */
	const char *pid_file;
	const char *console_socket;
	bool no_pivot, no_new_keyring;
	bool detach; /* create, run -d: a terminal then needs a console socket */
	int preserve_fds;
	/* Filled in by rt_create: how each of fds 3.. is relayed (the ports are the
	 * VMM's to choose). */
	struct proto_extra_fd extra[PROTO_MAX_EXTRA_FDS];
};

struct rt_exec_opts {
	const char *id;
	const char *process_file; /* --process: a process JSON instead of the fields below */
	bool detach, tty, no_new_privs;
	const char *pid_file, *console_socket;
	const char *cwd, *user; /* --user UID[:GID] */
	struct oci_strv env;	/* -e, repeatable */
	struct oci_strv caps;	/* --cap, repeatable */
	int preserve_fds;
	int argc; /* the command and its arguments */
	char **argv;
};

/* create: validate everything, make the state directory, launch the VM, run the
 * create hooks, write the pid file. Leaves nothing behind on failure. */
int rt_create(const struct rt_globals *g, const struct rt_create_opts *o, struct rt_err *err);

int rt_start(const struct rt_globals *g, const char *id, struct rt_err *err);
int rt_kill(const struct rt_globals *g, const char *id, int sig, bool all, struct rt_err *err);
int rt_delete(const struct rt_globals *g, const char *id, bool force, struct rt_err *err);
int rt_pause(const struct rt_globals *g, const char *id, struct rt_err *err);
int rt_resume(const struct rt_globals *g, const char *id, struct rt_err *err);
int rt_update(const struct rt_globals *g, const char *id, const struct oci_resources *res,
	      struct rt_err *err);
/* Foreground run: waits for the container and returns its exit status in *status. */
int rt_wait(const struct rt_globals *g, const char *id, int *status, struct rt_err *err);

/* exec: the process to run, from --process or from the options over the
 * container's own process (cfg may be NULL then only the options count). */
int rt_exec_process(const struct rt_exec_opts *o, const struct oci_config *cfg,
		    struct oci_process **out, struct rt_err *err);
int rt_exec(const struct rt_globals *g, const struct rt_exec_opts *o, int *status,
	    struct rt_err *err);
void rt_exec_opts_fini(struct rt_exec_opts *o);

/* --preserve-fds N: fds first .. first+N-1 of the caller (create and run pass 3)
 * are relayed to the process's fds 3.. (runtime/preserve.c says how): out[i]
 * gets the direction of each. At most RT_PRESERVE_FDS_MAX; a closed fd, or one
 * that cannot be relayed, is refused naming it, what it is and why. Call it
 * before opening any file. */
#define RT_PRESERVE_FDS_MAX PROTO_MAX_EXTRA_FDS
int rt_preserve_fds_classify(int first, int n, struct proto_extra_fd *out, struct rt_err *err);

/* update: refuses what runvm cannot apply, naming it. */
int rt_resources_check(const struct oci_resources *res, struct rt_err *err);

#endif
