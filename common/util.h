/* Small helpers every binary may use: cleanup attributes, ownership hand-off,
 * array sizes, and retrying I/O wrappers. */
#ifndef RUNVM_COMMON_UTIL_H
#define RUNVM_COMMON_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

static inline void util_freep(void *p)
{
	free(*(void **)p);
}

static inline void util_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Function-local temporaries only; hand ownership out with steal_ptr/steal_fd. */
#define autofree __attribute__((cleanup(util_freep)))
#define autoclose __attribute__((cleanup(util_closep)))

static inline void *steal_ptr(void *pp)
{
	void **p = pp;
	void *v = *p;
	*p = NULL;
	return v;
}

static inline int steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

/* Write/read all of buf, retrying on EINTR and short counts. 0 or -errno;
 * util_read_full returns the byte count (short only at EOF) or -errno. */
int util_write_full(int fd, const void *buf, size_t len);
ssize_t util_read_full(int fd, void *buf, size_t len);

/* Monotonic clock in nanoseconds. */
uint64_t util_now_ns(void);

struct stat;
/* Whether st (from fstat) is this host's /dev/null (the same character device). */
bool util_is_devnull(const struct stat *st);

#endif
