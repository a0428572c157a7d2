/* OCI lifecycle hooks that run on the host: the state JSON on stdin, the hook's
 * own args and env, its timeout honoured. */
#ifndef RUNVM_RUNTIME_HOOKS_H
#define RUNVM_RUNTIME_HOOKS_H

#include <stdbool.h>

#include "common/err.h"
#include "oci/config.h"
#include "oci/state.h"

/* Runs the hooks of one kind in order. A failure stops there and is an error,
 * unless warn_only (poststop, poststart), where each failure is a warning and every
 * hook runs. */
int rt_hooks_run(const struct oci_config *cfg, enum oci_hook_kind kind, const struct oci_state *st,
		 bool warn_only, struct rt_err *err);

/* One hook with stdin_data on its stdin. */
int rt_hook_run(const struct oci_hook *h, const char *stdin_data, size_t len, struct rt_err *err);

#endif
