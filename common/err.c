/* The user-facing error: set, append strerror, prepend context. */
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int err_norm(int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	return errnum ? errnum : EINVAL;
}

static void err_vset(struct rt_err *err, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void err_vset(struct rt_err *err, int errnum, const char *fmt, va_list ap)
{
	err->errnum = errnum;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int rt_err_set(struct rt_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	errnum = err_norm(errnum);
	if (!err)
		return -errnum;
	va_start(ap, fmt);
	err_vset(err, errnum, fmt, ap);
	va_end(ap);
	return -errnum;
}

int rt_err_sys(struct rt_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	errnum = err_norm(errnum);
	if (!err)
		return -errnum;
	va_start(ap, fmt);
	err_vset(err, errnum, fmt, ap);
	va_end(ap);
	n = strlen(err->msg);
	snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
	return -errnum;
}

/* A message cut short ends in "..." so that nobody mistakes it for the whole. */
static void err_mark_truncated(struct rt_err *err)
{
	memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
}

int rt_err_prefix(struct rt_err *err, const char *fmt, ...)
{
	char ctx[RT_ERR_MSG_MAX];
	char old[RT_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (!err)
		return -EINVAL;
	if (!err->errnum)
		err->errnum = EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	n = snprintf(err->msg, sizeof(err->msg), old[0] ? "%s: %s" : "%s%s", ctx, old);
	if (n >= (int)sizeof(err->msg))
		err_mark_truncated(err);
	return -err->errnum;
}

void rt_err_clear(struct rt_err *err)
{
	if (!err)
		return;
	err->errnum = 0;
	err->msg[0] = '\0';
}

bool rt_err_isset(const struct rt_err *err)
{
	return err && err->errnum != 0;
}
