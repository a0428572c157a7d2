/* Line-at-a-time logging to stderr. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prog = "runvm";
static bool log_dbg;

void log_init(const char *prog, bool debug)
{
	log_prog = prog;
	log_dbg = debug;
}

bool log_debug_enabled(void)
{
	return log_dbg;
}

void log_msg(const char *level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: ", log_prog, level);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line so that concurrent writers do not interleave. */
	fprintf(stderr, "%s\n", line);
}
