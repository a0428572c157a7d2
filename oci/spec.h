/* Documents runvm generates from nothing: the default config.json of `runvm spec`
 * and the `runvm features` report. */
#ifndef RUNVM_OCI_SPEC_H
#define RUNVM_OCI_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define OCI_SPEC_VERSION     "1.1.0"
#define OCI_SPEC_VERSION_MIN "1.0.0"

/* The default config.json (tab-indented, like runc's). rootless: no network
 * namespace and no device cgroup rules, for a VMM run by an unprivileged user. */
int oci_spec_default(bool rootless, char **out, size_t *len, struct rt_err *err);

/* The features document (runtime-spec features.md), 4-space indented. */
int oci_features_json(const char *version, const char *commit, char **out, size_t *len,
		      struct rt_err *err);

/* The mount options the guest applies, for features and for validation. */
extern const char *const oci_mount_options[];

#endif
