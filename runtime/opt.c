/* A small option parser with runc's conventions (see opt.h). */
#include "runtime/opt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void rt_opt_init(struct rt_optparse *p, int argc, char **argv, const char *what)
{
	p->argc = argc;
	p->argv = argv;
	p->idx = 1;
	p->what = what;
}

static const struct rt_opt *opt_find_long(const struct rt_opt *t, const char *name, size_t len)
{
	for (; t->id; t++)
		if (strlen(t->name) == len && !strncmp(t->name, name, len))
			return t;
	return NULL;
}

static const struct rt_opt *opt_find_short(const struct rt_opt *t, char c)
{
	for (; t->id; t++)
		if (t->short_name && t->short_name == c)
			return t;
	return NULL;
}

/* Resolves "-x", "--name", "-name", with or without "=value". */
static const struct rt_opt *opt_lookup(const struct rt_opt *t, const char *arg,
				       const char **inline_val)
{
	const char *name = arg + 1, *eq;
	const struct rt_opt *o;

	if (*name == '-')
		name++;
	eq = strchr(name, '=');
	*inline_val = eq ? eq + 1 : NULL;
	o = opt_find_long(t, name, eq ? (size_t)(eq - name) : strlen(name));
	if (!o && arg[1] != '-' && name[0] && (name[1] == '\0' || name[1] == '='))
		o = opt_find_short(t, name[0]);
	return o;
}

int rt_opt_next(struct rt_optparse *p, const struct rt_opt *table, const char **val,
		struct rt_err *err)
{
	const struct rt_opt *o;
	const char *arg, *inl;

	*val = NULL;
	if (p->idx >= p->argc)
		return 0;
	arg = p->argv[p->idx];
	if (!strcmp(arg, "--")) {
		p->idx++;
		return 0;
	}
	if (arg[0] != '-' || arg[1] == '\0')
		return 0;
	o = opt_lookup(table, arg, &inl);
	if (!o)
		return rt_err_set(err, EINVAL, "%s: unknown option %s", p->what, arg);
	p->idx++;
	if (o->arg == RT_OPT_FLAG) {
		*val = inl;
		return o->id;
	}
	if (inl) {
		*val = inl;
		return o->id;
	}
	if (p->idx >= p->argc)
		return rt_err_set(err, EINVAL, "%s: option %s needs a value", p->what, arg);
	*val = p->argv[p->idx++];
	return o->id;
}

int rt_opt_bool(const char *opt, const char *val, bool *out, struct rt_err *err)
{
	if (!val || !strcmp(val, "true") || !strcmp(val, "1") || !strcmp(val, "yes")) {
		*out = true;
		return 0;
	}
	if (!strcmp(val, "false") || !strcmp(val, "0") || !strcmp(val, "no")) {
		*out = false;
		return 0;
	}
	return rt_err_set(err, EINVAL, "--%s: expected true or false, got \"%s\"", opt, val);
}

int rt_opt_long(const char *opt, const char *val, long long min, long long max, long long *out,
		struct rt_err *err)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(val, &end, 10);
	if (errno || !*val || *end || x < min || x > max)
		return rt_err_set(err, EINVAL,
				  "--%s: expected a number from %lld to %lld, got \"%s\"", opt, min,
				  max, val);
	*out = x;
	return 0;
}

int rt_opt_operands(const struct rt_optparse *p, int n, struct rt_err *err)
{
	int have = p->argc - p->idx;

	if (have == n)
		return 0;
	return rt_err_set(err, EINVAL, "\"%s\" requires exactly %d argument%s, got %d", p->what, n,
			  n == 1 ? "" : "s", have);
}

int rt_opt_id_only(int argc, char **argv, const char *what, const char **id, struct rt_err *err)
{
	static const struct rt_opt none[] = { { NULL, 0, 0, 0 } };
	struct rt_optparse p;
	const char *val;

	rt_opt_init(&p, argc, argv, what);
	if (rt_opt_next(&p, none, &val, err) < 0 || rt_opt_operands(&p, 1, err) < 0)
		return -EINVAL;
	*id = argv[p.idx];
	return 0;
}
