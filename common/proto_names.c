/* The names config.json uses for capabilities, rlimits, seccomp actions and
 * operators, and namespaces, mapped to the numbers the agent protocol carries.
 * The host translates with these; the guest never sees a name but a syscall's. */
#include "common/proto.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "common/util.h"

/* Indexed by capability number (linux/capability.h). */
static const char *const proto_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

struct proto_name {
	const char *name;
	int value;
};

static const struct proto_name proto_rlimits[] = {
	{ "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_DATA", RLIMIT_DATA },       { "RLIMIT_STACK", RLIMIT_STACK },
	{ "RLIMIT_CORE", RLIMIT_CORE },       { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },     { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

static const struct proto_name proto_scmp_acts[] = {
	{ "SCMP_ACT_KILL", PROTO_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_THREAD", PROTO_SCMP_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", PROTO_SCMP_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", PROTO_SCMP_TRAP },
	{ "SCMP_ACT_ERRNO", PROTO_SCMP_ERRNO },
	{ "SCMP_ACT_TRACE", PROTO_SCMP_TRACE },
	{ "SCMP_ACT_ALLOW", PROTO_SCMP_ALLOW },
	{ "SCMP_ACT_LOG", PROTO_SCMP_LOG },
};

static const struct proto_name proto_scmp_ops[] = {
	{ "SCMP_CMP_NE", PROTO_SCMP_NE }, { "SCMP_CMP_LT", PROTO_SCMP_LT },
	{ "SCMP_CMP_LE", PROTO_SCMP_LE }, { "SCMP_CMP_EQ", PROTO_SCMP_EQ },
	{ "SCMP_CMP_GE", PROTO_SCMP_GE }, { "SCMP_CMP_GT", PROTO_SCMP_GT },
	{ "SCMP_CMP_MASKED_EQ", PROTO_SCMP_MASKED_EQ },
};

static const struct proto_name proto_nss[] = {
	{ "mount", 0 },
	{ "pid", PROTO_NS_PID },
	{ "uts", PROTO_NS_UTS },
	{ "ipc", PROTO_NS_IPC },
	{ "network", PROTO_NS_NET },
	{ "cgroup", PROTO_NS_CGROUP },
};

static int proto_lookup(const struct proto_name *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return t[i].value;
	return -EINVAL;
}

int proto_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(proto_caps); i++)
		if (!strcmp(proto_caps[i], name))
			return (int)i;
	return -EINVAL;
}

const char *proto_cap_name(unsigned cap)
{
	return cap < ARRAY_SIZE(proto_caps) ? proto_caps[cap] : NULL;
}

int proto_rlimit_from_name(const char *name)
{
	return proto_lookup(proto_rlimits, ARRAY_SIZE(proto_rlimits), name);
}

int proto_scmp_act_from_name(const char *name)
{
	return proto_lookup(proto_scmp_acts, ARRAY_SIZE(proto_scmp_acts), name);
}

int proto_scmp_op_from_name(const char *name)
{
	return proto_lookup(proto_scmp_ops, ARRAY_SIZE(proto_scmp_ops), name);
}

/* "user" and "time" are not in the table: a VM guest does not create them. */
int proto_ns_from_name(const char *name)
{
	return proto_lookup(proto_nss, ARRAY_SIZE(proto_nss), name);
}
