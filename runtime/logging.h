/* runvm's reporting: the error message on stderr, and with --log one line per
 * message appended to the log file, as text (`time="…" level=error msg="…"`) or
 * JSON (`{"level":"error","msg":"…","time":"…"}`), which containerd and podman read. */
#ifndef RUNVM_RUNTIME_LOGGING_H
#define RUNVM_RUNTIME_LOGGING_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "runtime/rt.h"

/* One log line (with its newline) into buf. 0, or -ENOSPC if it did not fit. */
int rt_log_line(char *buf, size_t size, enum rt_log_format fmt, const char *level, const char *msg,
		time_t when);

/* Opens the log file (append). A log that cannot be opened is reported on stderr
 * and otherwise ignored: the command still runs. */
void rt_log_setup(const struct rt_globals *g);
void rt_log_close(void);
/* The log file's fd, -1 when none is open. */
int rt_log_fd(void);

/* The one error report of a failed command: "runvm: MSG" on stderr, plus the line
 * in the log file. */
void rt_log_error(const char *msg);
void rt_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void rt_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
