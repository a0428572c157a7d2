/* runvm ps [--format table|json] ID: the container's host processes (the VMM and
 * the exec proxies); containerd reads the JSON array of PIDs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/container.h"
#include "runtime/opt.h"
#include "runtime/rt.h"
#include "runtime/vm.h"

enum { P_FORMAT = 1 };

static const struct rt_opt ps_opts[] = {
	{ "format", 'f', RT_OPT_VALUE, P_FORMAT },
	{ NULL, 0, 0, 0 },
};

static void ps_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? util_read_full(fd, buf, size - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int ps_print(const pid_t *pids, size_t n, bool json, struct rt_err *err)
{
	struct oci_jw w;
	char comm[64];
	int r;

	if (!json) {
		printf("%-10s %s\n", "PID", "CMD");
		for (size_t i = 0; i < n; i++) {
			ps_comm(pids[i], comm, sizeof(comm));
			printf("%-10d %s\n", (int)pids[i], comm);
		}
		return fflush(stdout) == 0 ? 0 : rt_err_sys(err, errno, "write");
	}
	r = oci_jw_init(&w, NULL, err);
	if (r < 0)
		return r;
	oci_jw_arr(&w);
	for (size_t i = 0; i < n; i++)
		oci_jw_int(&w, pids[i]);
	oci_jw_arr_end(&w);
	r = oci_jw_write_fd(&w, STDOUT_FILENO, true, err);
	oci_jw_fini(&w);
	return r;
}

int rt_cmd_ps(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_optparse p;
	struct rt_container c;
	autofree pid_t *pids = NULL;
	const char *val;
	bool json = false;
	size_t n;
	int id, r;

	rt_opt_init(&p, argc, argv, "ps");
	while ((id = rt_opt_next(&p, ps_opts, &val, err)) > 0) {
		if (strcmp(val, "json") && strcmp(val, "table"))
			return rt_err_set(err, EINVAL,
					  "--format: expected table or json, got \"%s\"", val);
		json = !strcmp(val, "json");
	}
	if (id < 0)
		return id;
	if (argc - p.idx < 1)
		return rt_err_set(err, EINVAL, "\"ps\" requires a container ID");
	if (argc - p.idx > 1)
		return rt_err_set(err, EINVAL, "ps: ps(1) options are not supported");
	r = rt_container_open(g->root, argv[p.idx], RT_LOCK_SHARED, &c, err);
	if (r < 0)
		return r;
	r = rt_vm_pids(g, &c, &pids, &n, err);
	rt_container_close(&c);
	return r < 0 ? r : ps_print(pids, n, json, err);
}
