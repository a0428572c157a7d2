/* runvm-init's internal interfaces: the agent (event loop, processes, stdio
 * relays, cgroup), the container setup run in the child between fork and exec
 * (root filesystem, mounts, user, capabilities, seccomp), and the PID 1 duties.
 *
 * Errors: functions return 0 or -errno; those that can fail for a reason the
 * user must read also fill a struct gi_err with a message in runc's words. */
#ifndef RUNVM_GUEST_INIT_GI_H
#define RUNVM_GUEST_INIT_GI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/proto.h"

struct gi_err {
	int err;
	char msg[PROTO_MAX_TEXT + 1];
};

/* Sets e (unless already set: the first cause wins) and returns err (< 0). */
int gi_fail(struct gi_err *e, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like gi_fail with ": strerror(-err)" appended. */
int gi_failerr(struct gi_err *e, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes val into an existing file (dir may be AT_FDCWD): proc, sys, cgroup files. */
int gi_write_at(int dir, const char *file, const char *val);

/* A line on stderr (the console in the guest), prefixed "runvm-init: ". */
void gi_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- transport and PID 1 (boot.c) ---------------------------------------------------- */

/* Where "connect to host port P" goes: vsock CID 2, or "<unix_prefix>_P". */
struct gi_transport {
	const char *unix_prefix;
};

int gi_connect(const struct gi_transport *t, uint32_t port, int *fd);
/* Mounts /proc, /sys, /dev, /dev/pts, /dev/shm, /run, cgroup2 and makes the
 * initramfs root a mount that pivot_root can leave. */
int gi_boot_mounts(struct gi_err *e);
/* Opens /dev/null on whichever of fds 0-2 is closed. */
void gi_stdio_fill(void);
/* The value of key=value on the kernel command line (/proc/cmdline). */
int gi_cmdline_get(const char *cmdline, const char *key, char *val, size_t size);
void gi_marker(void);
void gi_poweroff(void) __attribute__((noreturn));
uint64_t gi_uptime_ns(void);

/* ---- cgroup (cgroup.c) ------------------------------------------------------------------- */

/* Creates <root>/<name>, enables the controllers spec->cgroup needs in <root>,
 * writes spec->cgroup; *procs_fd is cgroup.procs (for a child to join), *fd the
 * directory (for OOM events). */
int gi_cgroup_create(const char *root, const char *name, const struct proto_spec *s, int *fd,
		     int *procs_fd, struct gi_err *e);
/* An inotify fd that is readable when memory.events changes, and the oom_kill count. */
int gi_cgroup_oom_watch(int cgfd, int *ifd);
int gi_cgroup_oom_count(int cgfd, uint64_t *count);
/* UPDATE: writes kv into the container's cgroup cg (root as for create), in order;
 * the first failure is the error. */
int gi_cgroup_update(const char *root, int cg, const struct proto_kv *kv, uint32_t n,
		     struct gi_err *e);
/* Moves the caller into the cgroup whose cgroup.procs is procs_fd. */
int gi_cgroup_join(int procs_fd);

/* ---- stdio relays (relay.c) ------------------------------------------------------------ */

#define GI_RELAY_BUF 65536

/* What an epoll event's data.ptr points at. */
enum gi_watch_kind { GI_W_CTL, GI_W_SIGNAL, GI_W_OOM, GI_W_RELAY_SRC, GI_W_RELAY_DST };
struct gi_watch {
	enum gi_watch_kind kind;
	void *obj;
};

/* Copies src to dst through a buffer, non-blocking, driven by epoll. */
struct gi_relay {
	int src, dst;
	bool src_eof;   /* nothing more will be read */
	bool drain;     /* the process is gone: EAGAIN on src means its data is all read */
	bool pty;       /* src is a pty master: only EIO ends it */
	bool done;      /* flushed, and dst shut down */
	int ep;
	uint32_t src_ev, dst_ev; /* interest currently registered */
	struct gi_watch wsrc, wdst;
	void *owner;
	size_t head, tail;
	uint8_t buf[GI_RELAY_BUF];
};

/* Takes both fds (non-blocking); gi_relay_pump starts it. */
int gi_relay_create(struct gi_relay **out, int ep, int src, int dst, void *owner);
/* Moves what it can; closes both ends once src is at EOF and all is written. */
void gi_relay_pump(struct gi_relay *r);
/* Gives up on what is left and shuts dst down (the host sees EOF). */
void gi_relay_end(struct gi_relay *r);
/* Stops at once, dropping what is buffered. NULL is fine. */
void gi_relay_destroy(struct gi_relay *r);

/* ---- the container setup in the child (child.c, rootfs.c, user.c, seccomp.c) ---------- */

/* The agent<->child channel (SOCK_SEQPACKET): the child reports READY, ERROR or
 * PTY (with the master fd), the agent answers GO; after GO an ERROR means exec
 * failed, and EOF means exec succeeded (the channel is CLOEXEC). */
enum gi_sync_type { GI_SYNC_READY = 1, GI_SYNC_ERROR, GI_SYNC_PTY, GI_SYNC_GO };
struct gi_sync {
	int32_t type, err;
	char msg[PROTO_MAX_TEXT + 1];
};

/* What the child gets: the container's spec, the process, its stdio (the child's
 * ends; unused with a terminal), its extra fds (proc->n_extra of them, to become
 * fds 3 and up), and for an exec the namespaces to join. */
struct gi_child {
	const struct proto_spec *spec;
	const struct proto_process *proc;
	bool exec;
	int sync;
	int stdio[3];
	int extra[PROTO_MAX_EXTRA_FDS];
	int cgroup_procs;   /* -1: no cgroup */
	int ns[5];          /* exec: uts, ipc, net, cgroup, mnt of the container; -1 skip */
	uint32_t namespaces; /* the container's PROTO_NS_* */
};

/* Runs in the forked child; never returns (execs or _exits). */
void gi_child_run(const struct gi_child *c) __attribute__((noreturn));

int gi_sync_send(int fd, int type, const struct gi_err *e, int pass_fd);
/* Receives one message; *fd gets a passed fd or -1. 0, -ESHUTDOWN on EOF, -errno. */
int gi_sync_recv(int fd, struct gi_sync *m, int *pass_fd);

/* rootfs.c: everything from the shared root to pivot_root and the paths after it. */
int gi_rootfs_prepare(const struct proto_spec *s, struct gi_err *e);
int gi_rootfs_finish(const struct proto_spec *s, struct gi_err *e);

/* mountopt.c: config.json mount options to mount(2) flags and data. */
struct gi_mntopts {
	unsigned long flags;       /* MS_* for the mount itself */
	unsigned long propagation; /* MS_PRIVATE, MS_SLAVE... (| MS_REC), 0 if none */
	bool bind, rec;
	char data[PROTO_MAX_PATH];
};
int gi_mount_options(const struct proto_strv *opts, const char *type, struct gi_mntopts *o,
		     struct gi_err *e);

/* user.c: the process's own setup. */
int gi_rlimits_apply(const struct proto_process *p, struct gi_err *e);
int gi_oom_score_apply(const struct proto_process *p, struct gi_err *e);
int gi_bounding_apply(const struct proto_process *p, struct gi_err *e);
int gi_user_apply(const struct proto_process *p, struct gi_err *e);
int gi_caps_apply(const struct proto_process *p, struct gi_err *e);
/* envp for execve (HOME added from /etc/passwd when missing), malloc'd. */
char **gi_env_build(const struct proto_process *p);
/* Resolves args[0] in envp's PATH; runc's (Go's exec.LookPath) error wording. */
int gi_lookpath(const char *file, char *const *envp, char *out, size_t size, struct gi_err *e);
/* The home directory of uid in a passwd file. */
int gi_passwd_home(const char *passwd, uint32_t uid, char *home, size_t size);

/* hooks.c: the spec's startContainer hooks, in order, in the calling process's
 * container; the first failure (or timeout) is the error, naming the hook. */
int gi_hooks_run(const struct proto_spec *s, struct gi_err *e);

/* seccomp.c */
int gi_seccomp_load(const struct proto_seccomp *sc, struct gi_err *e);

/* net.c: the guest's network for the spec (its interfaces, addresses and routes;
 * lo up when the container shares the guest's network namespace). VM only. */
int gi_net_setup(const struct proto_spec *s, struct gi_err *e);

/* ---- the agent (agent.c, proc.c) ---------------------------------------------------------- */

struct gi_opts {
	bool vm;                 /* PID 1 of a guest: power off at the end */
	struct gi_transport transport;
	uint32_t port;           /* control port */
	const char *cgroup_root; /* NULL: no cgroup for the container */
	const struct gi_err *boot_error; /* reported as FATAL instead of running */
};

/* A container process as the agent tracks it. */
struct gi_proc {
	struct gi_proc *next;
	uint32_t id;
	pid_t pid;
	int sync;   /* to the child until it has exec'd, else -1 */
	int master; /* pty master, for resizes; -1 without a terminal */
	int sock;   /* a terminal's stream until the pty arrives */
	struct gi_relay *in, *out[2];
	/* --preserve-fds: per extra fd, host->process (IN, BOTH) and process->host
	 * (OUT, BOTH); NULL where that direction has no stream. */
	struct gi_relay *xin[PROTO_MAX_EXTRA_FDS], *xout[PROTO_MAX_EXTRA_FDS];
	bool reaped;
	int status; /* wait status */
	uint64_t reaped_ns;
	struct proto_exec exec; /* an exec's request, which its process points into */
};

enum gi_state { GI_NEW, GI_CREATED, GI_RUNNING, GI_DONE };

struct gi_agent {
	const struct gi_opts *o;
	int ep, sigfd, ctl, devnull, self_pidns;
	struct gi_watch wctl, wsig, woom;
	struct proto_rx rx;
	struct proto_buf out;
	enum gi_state state;
	struct proto_spec spec;
	struct gi_proc *procs; /* the init among them once created */
	struct gi_proc *init;
	struct gi_proc *dead; /* failed to start, freed before the next epoll batch */
	int ns[5], pidns; /* the init's namespaces, for exec (gi_child.ns order) */
	int cg, cg_procs, oomfd;
	uint64_t oom_count;
	uint64_t done_ns; /* when the init's EXIT went out */
};

/* proc.c: starting, tracking and ending container processes. */
int gi_proc_spawn(struct gi_agent *a, const struct proto_process *pr, bool exec,
		  struct gi_proc *p, struct gi_err *e);
/* Lets a spawned process exec; 0 once it has, else the child's error. */
int gi_proc_go(struct gi_proc *p, struct gi_err *e);
void gi_proc_reaped(struct gi_proc *p, int status);
/* A process that never started: every relay gives up now (the host sees EOF). */
void gi_proc_end_relays(struct gi_proc *p);
/* Reaped, and its output flushed and shut down. */
bool gi_proc_finished(const struct gi_proc *p);
/* Frees p: only between epoll batches, as events may point at its relays. */
void gi_proc_destroy(struct gi_proc *p);
/* The guest pids of the container's processes; *n may exceed max. */
int gi_proc_list(struct gi_agent *a, uint32_t *pids, uint32_t max, uint32_t *n);
int gi_proc_signal_all(struct gi_agent *a, int sig);

/* Runs the agent until the container is over and the host has its status. *status
 * is the init's shell-style status (or 255 when it never ran). */
int gi_agent_run(const struct gi_opts *o, int *status);

#endif
