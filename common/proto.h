/* The agent protocol between the host (runtime/VMM) and runvm-init in the guest.
 *
 * Transport. Every connection is opened by the guest, to the host (vsock CID 2), so
 * a cold start needs no host-side retry loop. Through runvm-vmm a guest connection to
 * host port P arrives on the Unix socket "<uds>_P" (Firecracker's hybrid vsock); the
 * bare-machine agent mode (runvm-init --agent-unix PREFIX) connects to "PREFIX_P"
 * itself, so host code written against Unix sockets serves both.
 *
 * Control. runvm-init connects to PROTO_CONTROL_PORT once it is up and sends HELLO.
 * The host then sends requests, each with a non-zero id of its choosing; every
 * request gets exactly one RESULT (or PS_RESULT) with the same id. Events (EXIT,
 * OOM, FATAL) carry id 0 and may arrive at any time, also between a request and
 * its result.
 *
 * Stdio. CREATE and EXEC name up to three host ports for the process's stdin,
 * stdout and stderr (struct proto_process.stdio). Before the RESULT is sent the
 * guest has connected to each of them, so the host listens on them first and may
 * accept after the RESULT. Port 0 means /dev/null. Streams carry raw bytes:
 *   stdin:  host -> guest; the host's shutdown(SHUT_WR) is the process's EOF.
 *   stdout, stderr: guest -> host; the guest shuts the stream down once the
 *           process and everything it wrote are done.
 * With a terminal there is one stream, on stdio[0], in both directions (the
 * guest pty's master); stdio[1] and stdio[2] must be 0.
 *
 * Extra fds (--preserve-fds). A process may also name streams for its fds 3,
 * 4, ... (struct proto_process.extra), connected like stdio before the RESULT,
 * each in the direction it names: IN like stdin, OUT like stdout (its shutdown
 * is part of the exit rule below), BOTH a socket's two directions on one
 * stream, each shutdown passed on. Port 0 means /dev/null opened for that
 * direction (IN read-only, OUT write-only, BOTH read-write).
 *
 * Exit. The EXIT event of a process is sent only after its output streams (stdout,
 * stderr, and the guest->host side of OUT and BOTH extra fds) have been flushed
 * and shut down, so a host that reads them to EOF after the event has
 * all the output. The container's init is reported last: when it exits, every
 * other process of the container is killed and reported first. After the init's
 * EXIT the guest shuts down its side of the control connection and waits for the
 * host to close it (10 s at most); only then does it sync and power off (the agent
 * mode exits with the init's status), so the status is never lost to the reset.
 *
 * Wire format. A 12-byte header, then the payload, all little-endian:
 *   u32 payload length (at most PROTO_MAX_PAYLOAD), u16 version (PROTO_VERSION),
 *   u16 type, u32 id.
 * Payload fields are fixed-order; a string is u32 length + bytes (no NUL, none
 * inside), a list is u32 count + elements. Every string and list has a bound
 * below; a decoder rejects truncated input, trailing bytes and anything over a
 * bound, and an encoder refuses what the decoder would reject. */
#ifndef RUNVM_COMMON_PROTO_H
#define RUNVM_COMMON_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* 2: CREATE carries the startContainer hooks (and their state), UPDATE exists.
 * 3: CREATE carries the network the VM is attached to (interfaces, routes), and a
 *    process carries its extra fds (--preserve-fds), after its stdio. */
#define PROTO_VERSION 3
#define PROTO_HOST_CID 2
#define PROTO_CONTROL_PORT 1024
#define PROTO_HDR_SIZE 12
#define PROTO_MAX_PAYLOAD (4u << 20)
#define PROTO_SHARE_DIR "/run/runvm/share" /* the guest's mount of spec.root_tag */

/* Bounds on the fields (bytes for strings, elements for lists). */
#define PROTO_MAX_NAME 256          /* ids, fs types, syscall and sysctl names */
#define PROTO_MAX_HOSTNAME 64
#define PROTO_MAX_PATH 4096
#define PROTO_MAX_ARG (128 * 1024) /* one argv or env string (MAX_ARG_STRLEN) */
#define PROTO_MAX_VALUE 4096        /* sysctl and cgroup file values */
#define PROTO_MAX_TEXT 1024         /* result and fatal messages */
#define PROTO_MAX_ARGS 4096
#define PROTO_MAX_ENV 4096
#define PROTO_MAX_GIDS 1024
#define PROTO_MAX_RLIMITS 32
#define PROTO_MAX_MOUNTS 512
#define PROTO_MAX_OPTIONS 64
#define PROTO_MAX_KV 512
#define PROTO_MAX_PATHS 512
#define PROTO_MAX_DEVICES 512
#define PROTO_MAX_ARCHS 16
#define PROTO_MAX_RULES 1024
#define PROTO_MAX_SYSCALLS 1024     /* names in one seccomp rule */
#define PROTO_MAX_CONDS 16          /* argument conditions in one seccomp rule */
#define PROTO_MAX_PIDS 65536        /* in a PS_RESULT */
#define PROTO_MAX_HOOKS 64
#define PROTO_MAX_HOOK_ARGS 1024    /* args, and env, of one hook */
#define PROTO_MAX_STATE (256 * 1024) /* the hooks' state JSON */
#define PROTO_MAX_NETIFS 4          /* interfaces of the attached network */
#define PROTO_MAX_ADDRS 64          /* addresses of one interface */
#define PROTO_MAX_ROUTES 256
#define PROTO_IFNAME_MAX 15         /* a Linux interface name (IFNAMSIZ - 1) */

enum proto_type {
	PROTO_HELLO = 1,      /* g->h event: the agent is up */
	PROTO_FATAL = 2,      /* g->h event: the guest cannot go on and powers off */
	PROTO_CREATE = 16,    /* h->g struct proto_spec: set up the container, wait */
	PROTO_START = 17,     /* h->g (empty): exec the container's process */
	PROTO_EXEC = 18,      /* h->g struct proto_exec: one more process */
	PROTO_SIGNAL = 19,    /* h->g struct proto_signal */
	PROTO_RESIZE = 20,    /* h->g struct proto_resize */
	PROTO_PS = 21,        /* h->g (empty): list the container's processes */
	PROTO_UPDATE = 22,    /* h->g struct proto_update: write the container's cgroup */
	PROTO_RESULT = 32,    /* g->h struct proto_result: answer to a request */
	PROTO_PS_RESULT = 33, /* g->h list of guest pids: answer to PS */
	PROTO_EXIT = 48,      /* g->h event struct proto_exit */
	PROTO_OOM = 49,       /* g->h event struct proto_oom */
};

/* The container's own process is proc_id 0; EXEC names the others. */
#define PROTO_INIT_PROC 0

struct proto_hdr {
	uint32_t len; /* payload bytes after the header */
	uint16_t version;
	uint16_t type;
	uint32_t id;
};

/* ---- strings, lists and the arena the decoders allocate from ---------------- */

struct proto_chunk;
struct proto_arena {
	struct proto_chunk *head;
};

/* A list of strings; after decoding v[n] is NULL (ready for execve). */
struct proto_strv {
	uint32_t n;
	const char **v;
};

/* ---- the container spec, derived by the host from config.json ---------------- */

enum proto_cap_set {
	PROTO_CAP_BOUNDING,
	PROTO_CAP_EFFECTIVE,
	PROTO_CAP_INHERITABLE,
	PROTO_CAP_PERMITTED,
	PROTO_CAP_AMBIENT,
	PROTO_CAP_NSETS
};

struct proto_rlimit {
	uint32_t type; /* RLIMIT_* (proto_rlimit_from_name) */
	uint64_t soft, hard;
};

#define PROTO_PROC_TERMINAL (1u << 0)  /* a pty is the controlling terminal */
#define PROTO_PROC_NNP (1u << 1)       /* noNewPrivileges */
#define PROTO_PROC_CAPS (1u << 2)      /* caps[] apply; without, caps stay as they are */
#define PROTO_PROC_OOM_SCORE (1u << 3) /* oom_score_adj applies */
#define PROTO_PROC_UMASK (1u << 4)     /* umask applies; without, 0022 */
#define PROTO_PROC_FLAGS 0x1fu

/* ---- extra fds of a process (--preserve-fds; PROTO_VERSION 3) ----------------
 * extra[i] becomes the process's fd 3 + i. The process sees a pipe end (IN: the
 * read end, OUT: the write end) or, for BOTH, one end of an AF_UNIX stream
 * socketpair, whatever the host's fd was: only bytes and EOFs cross. */
#define PROTO_MAX_EXTRA_FDS 16

enum proto_extra_dir {
	PROTO_EXTRA_IN = 1,   /* host -> process: the process reads */
	PROTO_EXTRA_OUT = 2,  /* process -> host: the process writes */
	PROTO_EXTRA_BOTH = 3, /* both ways, shutdowns passed on each way */
};

struct proto_extra_fd {
	uint32_t dir;  /* enum proto_extra_dir */
	uint32_t port; /* host port of its stream; 0: /dev/null */
};

struct proto_process {
	uint32_t flags;
	struct proto_strv args, env;
	const char *cwd;
	uint32_t uid, gid, umask;
	uint32_t n_gids;
	uint32_t *gids; /* additionalGids */
	uint64_t caps[PROTO_CAP_NSETS]; /* bit N = capability N */
	uint32_t n_rlimits;
	struct proto_rlimit *rlimits;
	int32_t oom_score_adj;
	uint16_t rows, cols; /* consoleSize; 0 leaves the pty's default */
	uint32_t stdio[3];   /* host ports for stdin, stdout, stderr (see the top) */
	/* --preserve-fds: fds 3 .. 3 + n_extra - 1 (see "extra fds" above). */
	uint32_t n_extra;
	struct proto_extra_fd extra[PROTO_MAX_EXTRA_FDS];
};

/* A mount as config.json has it; options are strings ("nosuid", "mode=755",
 * "rbind", "ro", ...) interpreted by the guest. A bind source is a guest path:
 * files of the virtio-fs share are under PROTO_SHARE_DIR, where the guest mounts
 * root_tag before it sets up the root and the mounts. */
struct proto_mount {
	const char *source, *destination, *type;
	struct proto_strv options;
};

struct proto_kv {
	const char *key, *value;
};

#define PROTO_DEV_MODE (1u << 0) /* fileMode given (else 0666) */
#define PROTO_DEV_UID (1u << 1)
#define PROTO_DEV_GID (1u << 2)

struct proto_device {
	const char *path;
	uint32_t type; /* 'c', 'u', 'b' or 'p' */
	uint32_t major, minor, mode, uid, gid, flags;
};

enum proto_scmp_act {
	PROTO_SCMP_KILL_THREAD = 1, /* SCMP_ACT_KILL and SCMP_ACT_KILL_THREAD */
	PROTO_SCMP_KILL_PROCESS,
	PROTO_SCMP_TRAP,
	PROTO_SCMP_ERRNO,
	PROTO_SCMP_TRACE,
	PROTO_SCMP_ALLOW,
	PROTO_SCMP_LOG,
	PROTO_SCMP_ACT_MAX = PROTO_SCMP_LOG
};

enum proto_scmp_op {
	PROTO_SCMP_NE = 1,
	PROTO_SCMP_LT,
	PROTO_SCMP_LE,
	PROTO_SCMP_EQ,
	PROTO_SCMP_GE,
	PROTO_SCMP_GT,
	PROTO_SCMP_MASKED_EQ,
	PROTO_SCMP_OP_MAX = PROTO_SCMP_MASKED_EQ
};

struct proto_scmp_arg {
	uint32_t index, op;
	uint64_t value, value_two;
};

struct proto_scmp_rule {
	struct proto_strv names; /* unknown names are skipped, as runc does */
	uint32_t action;
	uint32_t ret; /* errno for ERRNO and TRACE; EPERM when config.json has none */
	uint32_t n_args;
	struct proto_scmp_arg *args;
};

#define PROTO_SCMP_FLAG_LOG (1u << 0)        /* SECCOMP_FILTER_FLAG_LOG */
#define PROTO_SCMP_FLAG_SPEC_ALLOW (1u << 1) /* SECCOMP_FILTER_FLAG_SPEC_ALLOW */

struct proto_seccomp {
	uint32_t default_action, default_ret, flags;
	struct proto_strv archs; /* "SCMP_ARCH_X86_64", ... */
	uint32_t n_rules;
	struct proto_scmp_rule *rules;
};

#define PROTO_SPEC_ROOT_RO (1u << 0) /* root.readonly */
#define PROTO_SPEC_SECCOMP (1u << 1) /* seccomp applies */
#define PROTO_SPEC_FLAGS 0x3u

/* Namespaces the guest creates for the container; it always gets its own mount
 * namespace. A VM has no use for user namespaces: the host refuses them. */
#define PROTO_NS_PID (1u << 0)
#define PROTO_NS_UTS (1u << 1)
#define PROTO_NS_IPC (1u << 2)
#define PROTO_NS_NET (1u << 3)
#define PROTO_NS_CGROUP (1u << 4)
#define PROTO_NS_ALL 0x1fu

/* A startContainer hook: run by the guest in the container (its root, namespaces
 * and credentials) at START, before the process is exec'd. path is absolute, in
 * the container's filesystem; args and env are the hook's own. */
struct proto_hook {
	const char *path;
	struct proto_strv args, env;
	uint32_t timeout; /* seconds; 0: none */
};

/* The network the VM is attached to: the interfaces of a network namespace given
 * by path in config.json, each reaching the guest as a virtio-net NIC with the same
 * MAC. runvm-init names the guest NIC of that MAC `name`, gives it the MTU and the
 * addresses, sets it (and lo) up, then adds the routes; the container then runs in
 * the guest's own network namespace, whose network this is. Addresses and routes
 * are as the namespace had them; families are 4 and 6 (not AF_*: the wire's own). */
#define PROTO_IP4 4
#define PROTO_IP6 6

struct proto_ip {
	uint8_t family; /* PROTO_IP4, PROTO_IP6 */
	uint8_t prefix;
	uint8_t addr[16]; /* IPv4 in the first 4 bytes, the rest 0 */
};

struct proto_netif {
	const char *name; /* 1 to PROTO_IFNAME_MAX bytes */
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t n_addrs;
	struct proto_ip *addrs;
};

#define PROTO_ROUTE_GW (1u << 0)     /* gw applies */
#define PROTO_ROUTE_ONLINK (1u << 1) /* the gateway is on the link whatever its address */
#define PROTO_ROUTE_FLAGS 0x3u

struct proto_route {
	uint32_t netif;   /* index into spec.netifs: the output interface */
	uint8_t family;   /* PROTO_IP4, PROTO_IP6 */
	uint8_t dst_len;  /* 0: a default route */
	uint8_t scope;    /* RT_SCOPE_* as the namespace had it */
	uint8_t flags;    /* PROTO_ROUTE_* */
	uint8_t dst[16], gw[16];
	uint32_t metric;
};

struct proto_spec {
	struct proto_arena arena; /* owns what the decoder allocated */
	const char *id;
	/* root_tag: a virtio-fs tag, mounted at PROTO_SHARE_DIR, root_path relative to
	 * it. Empty: root_path is a guest directory (agent mode, initramfs rootfs). */
	const char *root_tag, *root_path;
	uint32_t flags, namespaces;
	const char *hostname, *domainname; /* empty: leave as is */
	struct proto_process process;
	uint32_t n_mounts;
	struct proto_mount *mounts;
	uint32_t n_sysctl;
	struct proto_kv *sysctl;
	struct proto_strv masked, readonly;
	uint32_t n_devices;
	struct proto_device *devices;
	/* cgroup v2 files written in the container's cgroup ("memory.max" = "1048576"):
	 * the host translates linux.resources, the guest only writes. */
	uint32_t n_cgroup;
	struct proto_kv *cgroup;
	struct proto_seccomp seccomp;
	uint32_t n_hooks;
	struct proto_hook *hooks;
	/* The OCI state the hooks read on stdin, rendered by the host without "pid"
	 * (only the guest knows the process's pid in its namespace): a JSON object,
	 * "{...}", where the guest inserts "pid" first. Empty when there are no hooks. */
	const char *hook_state;
	/* The attached network (see struct proto_netif); none: n_netifs 0. */
	uint32_t n_netifs;
	struct proto_netif *netifs;
	uint32_t n_routes;
	struct proto_route *routes;
};

/* ---- the other messages ------------------------------------------------------- */

struct proto_hello {
	uint64_t uptime_ns; /* guest CLOCK_BOOTTIME when the agent was up */
	char version[PROTO_MAX_NAME + 1];
};

/* RESULT and FATAL. err is 0 or -errno; msg says what failed in runc's words
 * where runc has them (e.g. `exec: "x": executable file not found in $PATH`). */
struct proto_result {
	int32_t err;
	uint32_t pid;       /* the guest pid of a created or exec'd process */
	uint64_t uptime_ns; /* guest CLOCK_BOOTTIME when the result was made */
	char msg[PROTO_MAX_TEXT + 1];
};

struct proto_exec {
	struct proto_arena arena;
	uint32_t proc_id; /* chosen by the host, unique among live processes, not 0 */
	struct proto_process process;
};

#define PROTO_SIGNAL_ALL (1u << 0) /* every process of the container */

struct proto_signal {
	uint32_t proc_id, signo, flags;
};

struct proto_resize {
	uint32_t proc_id;
	uint16_t rows, cols;
};

/* cgroup v2 files of the container's cgroup, written in order (as spec.cgroup at
 * CREATE); the first failure stops there and is the RESULT. */
struct proto_update {
	struct proto_arena arena;
	uint32_t n_cgroup;
	struct proto_kv *cgroup;
};

struct proto_exit {
	uint32_t proc_id, pid;
	uint32_t signaled; /* 1: killed by signal `code` */
	int32_t code;      /* exit code, or the signal */
};

struct proto_oom {
	uint64_t count; /* oom kills in the container's cgroup so far */
};

/* ---- encoding -------------------------------------------------------------------- */

/* A growing output buffer holding one or more whole messages. Within a message err
 * is sticky: the first failure (-ENOMEM, -E2BIG for a field over its bound,
 * -EMSGSIZE) is returned by proto_end, which drops that message only. */
struct proto_buf {
	uint8_t *data;
	size_t len, cap, start;
	int err;
};

void proto_buf_init(struct proto_buf *b);
void proto_buf_fini(struct proto_buf *b);
void proto_buf_reset(struct proto_buf *b);

void proto_begin(struct proto_buf *b, uint16_t type, uint32_t id);
int proto_end(struct proto_buf *b);
void proto_put_u16(struct proto_buf *b, uint16_t v);
void proto_put_u32(struct proto_buf *b, uint32_t v);
void proto_put_u64(struct proto_buf *b, uint64_t v);
void proto_put_str(struct proto_buf *b, const char *s, size_t max);
void proto_put_strv(struct proto_buf *b, const struct proto_strv *l, uint32_t max_n,
		    size_t max_len);
/* n raw bytes (fixed-size fields: addresses). */
void proto_put_bytes(struct proto_buf *b, const void *p, size_t n);

/* Each appends one whole message (header included); 0 or -errno. */
int proto_enc_empty(struct proto_buf *b, uint16_t type, uint32_t id);
int proto_enc_hello(struct proto_buf *b, const struct proto_hello *h);
int proto_enc_result(struct proto_buf *b, uint16_t type, uint32_t id, const struct proto_result *r);
int proto_enc_signal(struct proto_buf *b, uint32_t id, const struct proto_signal *s);
int proto_enc_resize(struct proto_buf *b, uint32_t id, const struct proto_resize *r);
int proto_enc_exit(struct proto_buf *b, const struct proto_exit *e);
int proto_enc_oom(struct proto_buf *b, const struct proto_oom *o);
int proto_enc_ps_result(struct proto_buf *b, uint32_t id, const uint32_t *pids, uint32_t n);
int proto_enc_spec(struct proto_buf *b, uint32_t id, const struct proto_spec *s);
int proto_enc_exec(struct proto_buf *b, uint32_t id, const struct proto_exec *e);
int proto_enc_update(struct proto_buf *b, uint32_t id, const struct proto_update *u);

/* ---- decoding -------------------------------------------------------------------- */

/* 0, -EAGAIN when n < PROTO_HDR_SIZE, -EPROTO for another version, -EMSGSIZE when
 * the payload would exceed PROTO_MAX_PAYLOAD. */
int proto_hdr_decode(const void *buf, size_t n, struct proto_hdr *h);

/* A bounded reader; err is sticky (-EBADMSG truncated or malformed, -E2BIG over a
 * bound, -ENOMEM). Getters return 0 or "" once err is set. */
struct proto_rd {
	const uint8_t *p;
	size_t n;
	int err;
	struct proto_arena *arena;
};

void proto_rd_init(struct proto_rd *r, const void *payload, size_t len, struct proto_arena *a);
uint16_t proto_get_u16(struct proto_rd *r);
uint32_t proto_get_u32(struct proto_rd *r);
uint64_t proto_get_u64(struct proto_rd *r);
/* A string of at most max bytes, copied into the arena with a NUL. */
const char *proto_get_str(struct proto_rd *r, size_t max);
/* Copies a string of at most size-1 bytes into dst (no arena needed). */
void proto_get_strbuf(struct proto_rd *r, char *dst, size_t size);
/* A list count, refused when over max or when n elements of at least min_size
 * bytes each cannot fit in what is left (so a tiny message never makes a big
 * allocation). */
uint32_t proto_get_count(struct proto_rd *r, uint32_t max, size_t min_size);
void proto_get_strv(struct proto_rd *r, struct proto_strv *l, uint32_t max_n, size_t max_len);
/* n raw bytes into dst (zeroed once err is set). */
void proto_get_bytes(struct proto_rd *r, void *dst, size_t n);
/* n elements of size bytes from the arena (n already bounded by proto_get_count);
 * NULL for n 0 or once err is set. */
void *proto_get_array(struct proto_rd *r, uint32_t n, size_t size);
/* 0 when the payload was consumed exactly, else the error. */
int proto_rd_end(struct proto_rd *r);

/* Zeroed memory from the arena, NULL on ENOMEM. Freed all at once. */
void *proto_arena_alloc(struct proto_arena *a, size_t n);
void proto_arena_fini(struct proto_arena *a);

/* proto_net.c: the spec's network part, in and out (used by the spec's codec). */
void proto_enc_net(struct proto_buf *b, const struct proto_spec *s);
void proto_dec_net(struct proto_rd *r, struct proto_spec *s);

/* Each decodes one payload (the header already checked); 0 or -errno. */
int proto_dec_hello(const void *p, size_t n, struct proto_hello *h);
int proto_dec_result(const void *p, size_t n, struct proto_result *r);
int proto_dec_signal(const void *p, size_t n, struct proto_signal *s);
int proto_dec_resize(const void *p, size_t n, struct proto_resize *r);
int proto_dec_exit(const void *p, size_t n, struct proto_exit *e);
int proto_dec_oom(const void *p, size_t n, struct proto_oom *o);
/* At most max pids are stored; *n is the count in the message. */
int proto_dec_ps_result(const void *p, size_t n, uint32_t *pids, uint32_t max, uint32_t *count);
/* The spec and exec decoders fill an arena-owned structure: free it with
 * proto_spec_free / proto_exec_free, also after a failed decode. */
int proto_dec_spec(const void *p, size_t n, struct proto_spec *s);
int proto_dec_exec(const void *p, size_t n, struct proto_exec *e);
void proto_spec_free(struct proto_spec *s);
void proto_exec_free(struct proto_exec *e);
/* Arena-owned like the spec: free with proto_update_free, also after a failure. */
int proto_dec_update(const void *p, size_t n, struct proto_update *u);
void proto_update_free(struct proto_update *u);

/* The shell's view of an exit: the code, or 128 + the signal. */
int proto_exit_status(const struct proto_exit *e);

/* ---- blocking and event-loop I/O (proto_io.c) --------------------------------------- */

/* "<prefix>_<port>", the Unix socket a guest connection to port P reaches.
 * -ENAMETOOLONG when it does not fit in size (or in a sockaddr_un). */
int proto_port_path(char *buf, size_t size, const char *prefix, uint32_t port);

/* Writes all of b's messages and empties b. */
int proto_send(int fd, struct proto_buf *b);

/* Reads one whole message from a blocking fd; *payload is malloc'd (free it).
 * -ESHUTDOWN on a clean EOF before a header, -EBADMSG on EOF inside a message,
 * the proto_hdr_decode errors, or -errno. */
int proto_recv(int fd, struct proto_hdr *h, uint8_t **payload);

/* Receive side for an event loop: feed it what the fd has, take whole messages. */
struct proto_rx {
	uint8_t *buf;
	size_t len, cap, used;
};

void proto_rx_init(struct proto_rx *rx);
void proto_rx_fini(struct proto_rx *rx);
/* One read(); 0 when bytes arrived, -ESHUTDOWN on EOF, -EAGAIN, or -errno. */
int proto_rx_read(struct proto_rx *rx, int fd);
/* 1 and the next message (valid until the next call), 0 when none is complete,
 * or a proto_hdr_decode error (the stream cannot be resynchronised). */
int proto_rx_next(struct proto_rx *rx, struct proto_hdr *h, const uint8_t **payload);

/* ---- names config.json uses, for the host's translation (proto_names.c) ----------- */

int proto_cap_from_name(const char *name);       /* "CAP_CHOWN" -> 0; -EINVAL */
const char *proto_cap_name(unsigned cap);         /* 0 -> "CAP_CHOWN"; NULL if unknown */
int proto_rlimit_from_name(const char *name);    /* "RLIMIT_NOFILE" -> 7 */
int proto_scmp_act_from_name(const char *name);  /* "SCMP_ACT_ERRNO" -> PROTO_SCMP_ERRNO */
int proto_scmp_op_from_name(const char *name);   /* "SCMP_CMP_EQ" -> PROTO_SCMP_EQ */
int proto_ns_from_name(const char *name);        /* "pid" -> PROTO_NS_PID, "mount" -> 0 */

#endif
