/* runvm list [-q] [--format table|json]: the containers under --root. Reads
 * state.json without taking the locks (it is replaced atomically), so that a long
 * create does not stall the listing. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/container.h"
#include "runtime/opt.h"
#include "runtime/rt.h"

enum { L_QUIET = 1, L_FORMAT };

static const struct rt_opt list_opts[] = {
	{ "quiet", 'q', RT_OPT_FLAG, L_QUIET },
	{ "format", 'f', RT_OPT_VALUE, L_FORMAT },
	{ NULL, 0, 0, 0 },
};

#define LIST_COLS 6

static const char *const list_head[LIST_COLS] = { "ID",	    "PID",     "STATUS",
						  "BUNDLE", "CREATED", "OWNER" };

/* Cell k of a row; c NULL is the header. */
static const char *list_cell(const struct rt_container *c, int k, char *buf, size_t size)
{
	const struct oci_state *s;

	if (!c)
		return list_head[k];
	s = &c->st;
	switch (k) {
	case 0:
		return c->id;
	case 1:
		snprintf(buf, size, "%d", s->pid);
		return buf;
	case 2:
		return oci_status_name(s->status);
	case 3:
		return s->bundle ? s->bundle : "";
	case 4:
		return oci_time_format(&s->created, buf, size) == 0 ? buf : "";
	default:
		return s->owner ? s->owner : "";
	}
}

/* Columns padded like runc's tabwriter (minimum width 12, padding 3). */
static void list_table(const struct rt_container *cs, size_t n)
{
	size_t width[LIST_COLS];
	char buf[64];

	for (int k = 0; k < LIST_COLS; k++) {
		width[k] = 12;
		for (size_t i = 0; i <= n; i++) {
			size_t len = strlen(list_cell(i ? &cs[i - 1] : NULL, k, buf, sizeof(buf)));

			width[k] = MAX(width[k], len + 3);
		}
	}
	for (size_t i = 0; i <= n; i++) {
		for (int k = 0; k < LIST_COLS - 1; k++)
			printf("%-*s", (int)width[k],
			       list_cell(i ? &cs[i - 1] : NULL, k, buf, sizeof(buf)));
		printf("%s\n", list_cell(i ? &cs[i - 1] : NULL, LIST_COLS - 1, buf, sizeof(buf)));
	}
}

static int list_json(const struct rt_container *cs, size_t n, struct rt_err *err)
{
	struct oci_jw w;
	int r;

	r = oci_jw_init(&w, NULL, err);
	if (r < 0)
		return r;
	oci_jw_arr(&w);
	for (size_t i = 0; i < n; i++)
		oci_state_gen(&w, &cs[i].st, OCI_STATE_VIEW_CLI);
	oci_jw_arr_end(&w);
	r = oci_jw_write_fd(&w, STDOUT_FILENO, true, err);
	oci_jw_fini(&w);
	return r;
}

static int list_print(const struct rt_globals *g, bool quiet, bool json, struct rt_err *err)
{
	struct oci_strv ids;
	struct rt_container *cs;
	size_t n = 0;
	int r;

	r = rt_root_list(g->root, &ids, err);
	if (r < 0)
		return r;
	cs = calloc(ids.n + 1, sizeof(*cs));
	if (!cs) {
		oci_strv_fini(&ids);
		return rt_err_set(err, ENOMEM, "out of memory");
	}
	/* Containers that vanish or are half-created meanwhile are simply not listed. */
	for (size_t i = 0; i < ids.n; i++)
		if (rt_container_open(g->root, ids.v[i], RT_LOCK_NONE, &cs[n], NULL) == 0)
			n++;
	if (quiet) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", cs[i].id);
	} else if (json) {
		r = list_json(cs, n, err);
	} else {
		list_table(cs, n);
	}
	for (size_t i = 0; i < n; i++)
		rt_container_close(&cs[i]);
	free(cs);
	oci_strv_fini(&ids);
	if (fflush(stdout) != 0 && r == 0)
		r = rt_err_sys(err, errno, "write");
	return r;
}

int rt_cmd_list(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct rt_optparse p;
	const char *val;
	bool quiet = false, json = false;
	int id;

	rt_opt_init(&p, argc, argv, "list");
	while ((id = rt_opt_next(&p, list_opts, &val, err)) > 0) {
		if (id == L_QUIET) {
			if (rt_opt_bool("quiet", val, &quiet, err) < 0)
				return -EINVAL;
		} else if (!strcmp(val, "json") || !strcmp(val, "table")) {
			json = !strcmp(val, "json");
		} else {
			return rt_err_set(err, EINVAL,
					  "--format: expected table or json, got \"%s\"", val);
		}
	}
	if (id < 0 || rt_opt_operands(&p, 0, err) < 0)
		return -EINVAL;
	return list_print(g, quiet, json, err);
}
