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
#include "vmm/relay.h"

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
	int extra_first;         /* --extra-fds F:N: the process's fds 3.. are our F.. */
	unsigned n_extra;
	int extra_closed;        /* the first of them found closed by ctr_prescan, or -1 */
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
/* Closed (-1), or the host's /dev/null: the guest opens its own instead. */
bool ctr_is_devnull(int fd);

/* A listener on "<uds>_<port>", where a guest connection to host port P arrives. */
struct ctr_port {
	int lfd;
	uint32_t port;
	char path[108];
};

/* Listens (non-blocking) and registers cb; logs its failure. */
int ctr_port_listen(struct ctr_port *p, struct ev_loop *loop, const char *uds, uint32_t port,
		    ev_cb cb, void *arg);
/* Unregisters, closes and unlinks; nothing when p->lfd < 0. */
void ctr_port_close(struct ctr_port *p, struct ev_loop *loop);

/* ---- the init's extra fds, --preserve-fds (ctr_extra.c) ----------------------------
 * Each fd given with --extra-fds is relayed as the spec's process.extra[i] says
 * (the runtime classified it): IN host -> guest like stdin, OUT guest -> host
 * like stdout (an output for the exit rule), BOTH a socket both ways over one
 * stream, each direction's end shutting the other side's write half down. */
struct ctr_extra {
	int fd;                     /* ours until handed to the relays, then -1 */
	uint32_t dir;               /* enum proto_extra_dir */
	struct ctr_port port;       /* lfd -1 when the guest opens /dev/null */
	struct relay *in, *out;     /* host -> guest, guest -> host */
	char name[16];              /* "fd 3", for log lines */
};

struct ctr_extras {
	unsigned n;
	struct ctr_extra v[PROTO_MAX_EXTRA_FDS];
};

/* Takes cfg's extra fds (every slot gets -1s first, so fini is always safe). */
void ctr_extras_init(struct ctr_extras *x, const struct ctr_config *cfg);
/* Fills in pr->extra's ports (CTL_EXTRA_PORT + i, or 0 for /dev/null) and listens
 * on them; *outs counts the output streams to wait for. 0 or -errno (logged). */
int ctr_extras_setup(struct ctr_extras *x, struct proto_process *pr, struct ev_loop *loop,
		     const char *uds, ev_cb on_accept, void *arg, unsigned *outs);
/* The guest connected on lfd: starts that fd's relays (not the host -> guest one
 * once no_input: the process is gone); out_done(arg) when an output ends.
 * 0, -ENOENT when lfd is not ours, or -errno. */
int ctr_extras_accept(struct ctr_extras *x, struct ev_loop *loop, int lfd, bool no_input,
		      relay_done_cb out_done, void *arg);
/* The init exited: nothing more goes in. */
void ctr_extras_stop_input(struct ctr_extras *x);
void ctr_extras_fini(struct ctr_extras *x, struct ev_loop *loop);

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
