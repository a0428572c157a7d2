/* sh(FMT, ...): runs a formatted shell command (system(3)) and returns its status;
 * for unit tests that set up real namespaces, links and qdiscs with ip(8) and tc(8). */
#ifndef RUNVM_TESTS_SH_H
#define RUNVM_TESTS_SH_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));

static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

#endif
