/* runvm state ID: the OCI state as JSON (runc's layout, two-space indent). */
#include <errno.h>
#include <unistd.h>

#include "runtime/container.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

int rt_cmd_state(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_container c;
	struct oci_jw w;
	const char *id;
	int r;

	if (rt_opt_id_only(argc, argv, "state", &id, err) < 0)
		return -EINVAL;
	r = rt_container_open(g->root, id, RT_LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	r = oci_jw_init(&w, "  ", err);
	if (r == 0) {
		oci_state_gen(&w, &c.st, OCI_STATE_VIEW_CLI);
		r = oci_jw_write_fd(&w, STDOUT_FILENO, true, err);
		oci_jw_fini(&w);
	}
	rt_container_close(&c);
	return r;
}
