/* The bundle of `create`: its directory, its config.json, and the check that the
 * config asks for nothing runvm cannot honour (a clear error instead of a
 * container that silently differs from its spec). */
#ifndef RUNVM_RUNTIME_BUNDLE_H
#define RUNVM_RUNTIME_BUNDLE_H

#include <stddef.h>

#include "common/err.h"
#include "oci/config.h"
#include "runtime/ops.h"
#include "runtime/rt.h"

/* The absolute, resolved bundle directory (NULL: the current directory). */
int rt_bundle_resolve(const char *bundle, char *out, size_t size, struct rt_err *err);

/* bundle/config.json, parsed. */
int rt_bundle_load(const char *bundle, struct oci_config **cfg, struct rt_err *err);

/* The absolute rootfs (root.path relative to the bundle), which must be a
 * directory. */
int rt_bundle_rootfs(const char *bundle, const struct oci_config *cfg, char *out, size_t size,
		     struct rt_err *err);

/* Everything create refuses before touching the state directory. */
int rt_config_validate(const struct rt_globals *g, const struct oci_config *cfg,
		       const struct rt_create_opts *o, struct rt_err *err);

#endif
