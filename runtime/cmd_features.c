/* runvm features: what this build supports, as JSON. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/spec.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

int rt_cmd_features(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	autofree char *json = NULL;
	size_t len;
	int r;

	if (argc > 1)
		return rt_err_set(err, EINVAL, "\"features\" takes no arguments");
	r = oci_features_json(RUNVM_VERSION, RUNVM_COMMIT, &json, &len, err);
	if (r < 0)
		return r;
	r = util_write_full(STDOUT_FILENO, json, len);
	if (r == 0 && (len == 0 || json[len - 1] != '\n'))
		r = util_write_full(STDOUT_FILENO, "\n", 1);
	return r < 0 ? rt_err_sys(err, r, "write") : 0;
}
