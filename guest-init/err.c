/* Error messages for the user and console logging for runvm-init. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "guest-init/gi.h"

static int gi_vfail(struct gi_err *e, int err, bool with_errno, const char *fmt, va_list ap)
{
	size_t n;

	if (!e || e->err)
		return err;
	e->err = err;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	n = strlen(e->msg);
	if (with_errno && n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(-err));
	return err;
}

int gi_fail(struct gi_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gi_vfail(e, err, false, fmt, ap);
	va_end(ap);
	return err;
}

int gi_failerr(struct gi_err *e, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gi_vfail(e, err, true, fmt, ap);
	va_end(ap);
	return err;
}

void gi_log(const char *fmt, ...)
{
	char line[PROTO_MAX_TEXT + 64];
	va_list ap;
	int n = snprintf(line, sizeof(line), "runvm-init: ");

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	/* One write, so that lines from the agent and its children do not mix. */
	n = (int)strlen(line);
	line[n++] = '\n';
	(void)!write(2, line, (size_t)n);
}
