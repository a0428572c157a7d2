/* Command-line options the way runc's callers write them: `--flag value`,
 * `--flag=value`, `-flag value` (urfave/cli style), short `-f value`, and boolean
 * flags with an optional `=true|false`. Options end at the first operand or `--`:
 * no permutation, so `exec ID cmd -x` keeps cmd's own flags. */
#ifndef RUNVM_RUNTIME_OPT_H
#define RUNVM_RUNTIME_OPT_H

#include <stdbool.h>

#include "common/err.h"

enum rt_opt_arg {
	RT_OPT_FLAG,  /* no value, or =bool */
	RT_OPT_VALUE, /* a value: `=v` or the next argument */
};

struct rt_opt {
	const char *name; /* long name without dashes */
	char short_name;  /* 0 if none */
	enum rt_opt_arg arg;
	int id; /* > 0 */
};

struct rt_optparse {
	int argc;
	char **argv;
	int idx;	  /* the next argument to look at */
	const char *what; /* for messages: "create", "global" */
};

/* Starts after argv[0] (the command name). */
void rt_opt_init(struct rt_optparse *p, int argc, char **argv, const char *what);

/* The id of the next option with *val its value (NULL for a bare flag), 0 when the
 * options end (p->idx is then the first operand), or -EINVAL for an unknown option
 * or a missing value. table ends with a zero entry. */
int rt_opt_next(struct rt_optparse *p, const struct rt_opt *table, const char **val,
		struct rt_err *err);

/* The value of a flag: NULL (bare) is true; true/false/1/0/yes/no. */
int rt_opt_bool(const char *opt, const char *val, bool *out, struct rt_err *err);

/* A decimal integer in [min, max]. */
int rt_opt_long(const char *opt, const char *val, long long min, long long max, long long *out,
		struct rt_err *err);

/* Checks the operand count: want exactly n (runc's phrase on mismatch). */
int rt_opt_operands(const struct rt_optparse *p, int n, struct rt_err *err);

/* For commands that take no options and exactly one operand: the container ID. */
int rt_opt_id_only(int argc, char **argv, const char *what, const char **id, struct rt_err *err);

#endif
