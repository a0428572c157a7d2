/* runvm-vmm --container: the long-lived process of one container, whose PID the
 * runtime writes to the pid file. It boots the VM, creates the container through
 * the guest agent, reports on --ready-fd, relays the container's stdio (or its
 * terminal), serves the control socket (vmm/ctl.h), forwards the signals it gets
 * to the container's init, and exits exactly as the init did: the same code, or
 * killed by the same signal.
 *
 * In this mode fds 0/1/2 belong to the container: they are moved out of the way
 * at once (ctr_prescan), fds 0/1/2 become /dev/null and the --log file, so no
 * message of the VMM (or of a child) ever reaches the container's stdio. */
#ifndef RUNVM_VMM_CONTAINER_H
#define RUNVM_VMM_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/proto.h"

struct vmm_config;

#define CTR_CREATE_TIMEOUT_S 60 /* default for --create-timeout */
#define CTR_VM_END_TIMEOUT_S 5  /* after the init's exit: then the vCPUs are stopped */

struct ctr_config {
	bool container;          /* --container */
	const char *spec;        /* --spec FILE: one encoded PROTO_CREATE message */
	const char *ctl;         /* --ctl PATH: the control socket */
	const char *log;         /* --log FILE (append); NULL: messages are dropped */
	int ready_fd;            /* --ready-fd N, -1 if none */
	int console_fd;          /* --console-fd N (a pty slave), -1 if none */
	unsigned create_timeout; /* --create-timeout S */
	bool no_vm;              /* --no-vm (tests): an agent on the Unix sockets plays the guest */
	int stdio[3];            /* the container's stdio, moved away from 0/1/2 (-1: closed) */
	int log_err;             /* -errno from opening --log, reported by ctr_main */
};

void ctr_config_init(struct ctr_config *c);

/* Before any message: when argv asks for --container, moves the container's
 * stdio away from fds 0/1/2 (into c->stdio) and points 1/2 at --log, and takes
 * --ready-fd early, so that usage errors can be reported there. Returns
 * c->container. */
bool ctr_prescan(int argc, char **argv, struct ctr_config *c);
/* Log lines as "runvm-vmm[PID]: ..." (several VMMs may share a log). */
void ctr_log_name(void);

/* One of the container options of runvm-vmm's command line (name without "--",
 * arg NULL for flags); 0 or -EINVAL (logged). */
int ctr_parse_option(struct ctr_config *c, const char *name, const char *arg);

/* A failure before ctr_main: writes "error: <last logged error>" to the ready fd
 * and returns status. */
int ctr_early_exit(const struct ctr_config *c, int status);

/* Runs the container to its end. Returns the exit status, or does not return
 * when the container was killed by a signal (the VMM dies by the same one). */
int ctr_main(struct vmm_config *vcfg, const struct ctr_config *c);

/* ---- host-side stdio (ctr_io.c) -------------------------------------------------- */

/* fd in an open file description of our own, non-blocking, when it is a pipe,
 * FIFO or tty (reopened through /proc/self/fd, so the caller's description keeps
 * its flags); otherwise fd itself. mode: O_RDONLY or O_WRONLY. */
int ctr_own_fd(int fd, int mode);
/* Makes the pty slave fd raw (the guest's pty does the line discipline) and,
 * where it can, the VMM's controlling terminal, so that SIGWINCH follows the
 * caller's resizes. *rows / *cols get its size when it has one. */
int ctr_console_setup(int fd, uint16_t *rows, uint16_t *cols);
/* Writes one line to the ready fd and closes it (*fd = -1). */
void ctr_ready_write(int *fd, const char *line);

/* ---- exit (ctr_exit.c): how the VMM ends for an init's exit, as pure logic ---- */

struct ctr_exit_plan {
	int signo; /* > 0: die by this signal */
	int code;  /* otherwise exit(code) */
};

void ctr_exit_plan(const struct proto_exit *e, struct ctr_exit_plan *p);
/* Whether the default action of signo ends the process (terminate or core). */
bool ctr_sig_kills(int signo);
/* Whether the VMM forwards signo to the container (rather than leaving it to
 * its default, or using it itself). */
bool ctr_sig_forwarded(int signo);
/* Carries the plan out: never returns. */
void ctr_exit_now(const struct ctr_exit_plan *p) __attribute__((noreturn));

#endif
