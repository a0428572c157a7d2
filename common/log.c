/* Line-at-a-time logging to stderr. */
#include "common/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *log_prog = "runvm";
static bool log_dbg;
static char log_last[1024];
static pthread_mutex_t log_last_lock = PTHREAD_MUTEX_INITIALIZER;

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
	if (!strcmp(level, "error")) {
		pthread_mutex_lock(&log_last_lock);
		snprintf(log_last, sizeof(log_last), "%s", line + n);
		pthread_mutex_unlock(&log_last_lock);
	}
	/* One write per line so that concurrent writers do not interleave. */
	fprintf(stderr, "%s\n", line);
}

const char *log_last_error(void)
{
	/* Read on the main thread once the others are quiet; the copy is a line. */
	return log_last;
}
