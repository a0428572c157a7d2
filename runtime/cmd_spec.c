/* runvm spec [--bundle B] [--rootless]: writes a default config.json, and like
 * runc refuses to overwrite one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/spec.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

enum { S_BUNDLE = 1, S_ROOTLESS };

static const struct rt_opt spec_opts[] = {
	{ "bundle", 'b', RT_OPT_VALUE, S_BUNDLE },
	{ "rootless", 0, RT_OPT_FLAG, S_ROOTLESS },
	{ NULL, 0, 0, 0 },
};

static int spec_write(const char *bundle, bool rootless, struct rt_err *err)
{
	autofree char *json = NULL;
	autoclose int fd = -1;
	char path[PATH_MAX];
	size_t len;
	int r;

	r = snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (r < 0 || (size_t)r >= sizeof(path))
		return rt_err_set(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
	r = oci_spec_default(rootless, &json, &len, err);
	if (r < 0)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST)
		return rt_err_set(err, EEXIST, "File config.json exists. Remove it first");
	if (fd < 0)
		return rt_err_sys(err, errno, "create %s", path);
	r = util_write_full(fd, json, len);
	if (r < 0) {
		unlink(path);
		return rt_err_sys(err, r, "write %s", path);
	}
	return 0;
}

int rt_cmd_spec(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val, *bundle = ".";
	bool rootless = false;
	int id;

	rt_opt_init(&p, argc, argv, "spec");
	while ((id = rt_opt_next(&p, spec_opts, &val, err)) > 0) {
		if (id == S_BUNDLE)
			bundle = val;
		else if (rt_opt_bool("rootless", val, &rootless, err) < 0)
			return -EINVAL;
	}
	if (id < 0 || rt_opt_operands(&p, 0, err) < 0)
		return -EINVAL;
	return spec_write(bundle, rootless, err);
}
