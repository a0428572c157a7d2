/* Host ptys for containers and execs with a terminal: the master goes to the
 * caller over --console-socket (one SCM_RIGHTS message, the pty's name as the
 * payload, as runc sends it); the slave goes to the VMM or the exec proxy, which
 * bridges it to the guest's pty. The slave is raw: the guest's pty has the line
 * discipline, and doing it twice would echo twice. */
#ifndef RUNVM_RUNTIME_CONSOLE_H
#define RUNVM_RUNTIME_CONSOLE_H

#include <limits.h>
#include <stdint.h>
#include <termios.h>

#include "common/err.h"

struct rt_pty {
	int master, slave; /* CLOEXEC */
	char name[64];	   /* the slave's path */
};

/* A new pty; rows/cols 0 leave the size alone. */
int rt_pty_open(struct rt_pty *p, uint16_t rows, uint16_t cols, struct rt_err *err);
void rt_pty_close(struct rt_pty *p);

/* Sends fd over the Unix socket at path (connects, one message, closes). */
int rt_console_send(const char *path, int fd, const char *name, struct rt_err *err);

/* Puts a terminal in raw mode; *saved (if not NULL) gets the old settings. */
int rt_tty_raw(int fd, struct termios *saved);

#endif
