/* The user-facing error of runtime/ and oci/: an errno and a fixed-size message that
 * each caller on the way up may prefix with context ("create: config.json: ...").
 * It is printed once, in main. Functions keep the 0 / -errno convention and fill the
 * error as a side effect; a NULL error pointer is allowed and ignored. */
#ifndef RUNVM_COMMON_ERR_H
#define RUNVM_COMMON_ERR_H

#include <stdbool.h>

#define RT_ERR_MSG_MAX 1024

struct rt_err {
	int errnum; /* positive errno; 0 when no error is set */
	char msg[RT_ERR_MSG_MAX];
};

/* Sets the message (replacing any previous one). errnum may be given as errno or
 * -errno; 0 means EINVAL. Returns -errnum, ready for `return rt_err_set(...)`. */
int rt_err_set(struct rt_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like rt_err_set, with ": strerror(errnum)" appended. */
int rt_err_sys(struct rt_err *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "context: " to the message. Returns -errnum (or -EINVAL if none was set). */
int rt_err_prefix(struct rt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void rt_err_clear(struct rt_err *err);
bool rt_err_isset(const struct rt_err *err);

#endif
