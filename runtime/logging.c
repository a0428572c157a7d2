/* Error, warning and debug reporting for the runvm CLI (see logging.h). */
#include "runtime/logging.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/jsonw.h"

static int log_fd = -1;
static enum rt_log_format log_fmt = RT_LOG_TEXT;
static bool log_dbg;

static int log_time(char *buf, size_t size, time_t when)
{
	struct tm tm;

	if (!gmtime_r(&when, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -ENOSPC;
	return 0;
}

/* JSON string escaping serves both formats: text quotes msg the same way. */
static int log_json_line(char *buf, size_t size, const char *level, const char *msg, const char *ts)
{
	struct oci_jw w;
	const char *out;
	size_t len;
	int r;

	if (oci_jw_init(&w, NULL, NULL) < 0)
		return -ENOMEM;
	oci_jw_obj(&w);
	oci_jw_kstr(&w, "level", level);
	oci_jw_kstr(&w, "msg", msg);
	oci_jw_kstr(&w, "time", ts);
	oci_jw_obj_end(&w);
	r = oci_jw_done(&w, &out, &len, NULL);
	if (r == 0 && len + 2 > size)
		r = -ENOSPC;
	if (r == 0) {
		memcpy(buf, out, len);
		memcpy(buf + len, "\n", 2);
	}
	oci_jw_fini(&w);
	return r;
}

static int log_text_line(char *buf, size_t size, const char *level, const char *msg, const char *ts)
{
	struct oci_jw w;
	const char *q;
	size_t len;
	int r, n;

	if (oci_jw_init(&w, NULL, NULL) < 0)
		return -ENOMEM;
	oci_jw_str(&w, msg);
	r = oci_jw_done(&w, &q, &len, NULL);
	if (r == 0) {
		n = snprintf(buf, size, "time=\"%s\" level=%s msg=%.*s\n", ts, level, (int)len, q);
		r = n < 0 || (size_t)n >= size ? -ENOSPC : 0;
	}
	oci_jw_fini(&w);
	return r;
}

int rt_log_line(char *buf, size_t size, enum rt_log_format fmt, const char *level, const char *msg,
		time_t when)
{
	char ts[64];

	if (log_time(ts, sizeof(ts), when) < 0)
		return -ENOSPC;
	if (fmt == RT_LOG_JSON)
		return log_json_line(buf, size, level, msg, ts);
	return log_text_line(buf, size, level, msg, ts);
}

void rt_log_setup(const struct rt_globals *g)
{
	log_fmt = g->log_format;
	log_dbg = g->debug;
	if (!g->log_path)
		return;
	log_fd = open(g->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (log_fd < 0)
		fprintf(stderr, "runvm: warning: cannot open log %s: %s\n", g->log_path,
			strerror(errno));
}

void rt_log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
}

/* One write per line: O_APPEND keeps lines of concurrent runvm processes whole. */
static void log_to_file(const char *level, const char *msg)
{
	char line[4096];

	if (log_fd < 0)
		return;
	if (rt_log_line(line, sizeof(line), log_fmt, level, msg, time(NULL)) == 0)
		(void)!util_write_full(log_fd, line, strlen(line));
}

void rt_log_error(const char *msg)
{
	fprintf(stderr, "runvm: %s\n", msg);
	log_to_file("error", msg);
}

static void log_vmsg(const char *level, bool to_stderr, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vmsg(const char *level, bool to_stderr, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (to_stderr)
		fprintf(stderr, "runvm: %s: %s\n", level, msg);
	log_to_file(level, msg);
}

void rt_log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg("warning", true, fmt, ap);
	va_end(ap);
}

void rt_log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_dbg)
		return;
	va_start(ap, fmt);
	/* Debug goes to the log when there is one, else to stderr (never stdout). */
	log_vmsg("debug", log_fd < 0, fmt, ap);
	va_end(ap);
}

int rt_log_fd(void)
{
	return log_fd;
}
