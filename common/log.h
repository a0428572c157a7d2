/* Logging for the host binaries: one line per message on stderr, prefixed with
 * the program name; debug lines only when enabled. */
#ifndef RUNVM_COMMON_LOG_H
#define RUNVM_COMMON_LOG_H

#include <stdbool.h>

void log_init(const char *prog, bool debug);
bool log_debug_enabled(void);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text of the last error-level message (without the prefixes), "" if none:
 * for callers that must also report it elsewhere (runvm-vmm's ready fd). */
const char *log_last_error(void);

#define log_error(...) log_msg("error", __VA_ARGS__)
#define log_warn(...) log_msg("warning", __VA_ARGS__)
#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_debug_enabled())                                                           \
			log_msg("debug", __VA_ARGS__);                                             \
	} while (0)

#endif
