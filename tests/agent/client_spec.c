/* agent-client's container spec: runc's default config.json (`runc spec`, with
 * Docker's default capabilities) as a struct proto_spec, changed by the command
 * line options that the tests use. This is the host-side translation in
 * miniature; the runtime's is done from config.json. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/agent/client.h"

#define MAX_ITEMS 64

static const char *default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"
};
static const char *default_caps[] = {
	"CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",  "CAP_FOWNER",      "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID",      "CAP_SETUID",  "CAP_SETFCAP",     "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};
static const char *o_proc[] = { "nosuid", "noexec", "nodev" };
static const char *o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
static const char *o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" };
static const char *o_shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
static const char *o_sys[] = { "nosuid", "noexec", "nodev", "ro" };
static const char *o_cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro" };
static const struct proto_mount default_mounts[] = {
	{ "proc", "/proc", "proc", { 3, o_proc } },
	{ "tmpfs", "/dev", "tmpfs", { 4, o_dev } },
	{ "devpts", "/dev/pts", "devpts", { 5, o_pts } },
	{ "shm", "/dev/shm", "tmpfs", { 5, o_shm } },
	{ "mqueue", "/dev/mqueue", "mqueue", { 3, o_proc } },
	{ "sysfs", "/sys", "sysfs", { 4, o_sys } },
	{ "cgroup", "/sys/fs/cgroup", "cgroup", { 5, o_cg } },
};
static const char *default_masked[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
};
static const char *default_ro[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Growing lists behind the spec's pointers; the client is short-lived. */
struct lists {
	const char *env[MAX_ITEMS], *masked[MAX_ITEMS], *ro[MAX_ITEMS], *sc_names[MAX_ITEMS];
	uint32_t gids[MAX_ITEMS];
	struct proto_rlimit rlimits[MAX_ITEMS];
	struct proto_mount mounts[MAX_ITEMS];
	struct proto_kv sysctl[MAX_ITEMS], cgroup[MAX_ITEMS];
	struct proto_scmp_rule rules[MAX_ITEMS];
	struct proto_scmp_arg args[MAX_ITEMS];
	struct proto_hook hooks[MAX_ITEMS];
	const char *hook_args[MAX_ITEMS][3];
};

static struct lists L;
static const char *arch_x86_64[] = { "SCMP_ARCH_X86_64" };

static int parse_caps(const char *list, uint64_t *mask)
{
	char *copy = strdup(list), *save = NULL;

	*mask = 0;
	if (!strcmp(list, "none")) {
		free(copy);
		return 0;
	}
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int cap = proto_cap_from_name(t);

		if (cap < 0) {
			fprintf(stderr, "agent-client: unknown capability %s\n", t);
			free(copy);
			return -EINVAL;
		}
		*mask |= 1ull << cap;
	}
	free(copy);
	return 0;
}

void client_spec_default(struct proto_spec *s, struct proto_process *p)
{
	uint64_t caps = 0;

	memset(s, 0, sizeof(*s));
	memcpy(L.env, default_env, sizeof(default_env));
	memcpy(L.mounts, default_mounts, sizeof(default_mounts));
	memcpy(L.masked, default_masked, sizeof(default_masked));
	memcpy(L.ro, default_ro, sizeof(default_ro));
	L.rlimits[0] = (struct proto_rlimit){ 7 /* RLIMIT_NOFILE */, 1024, 1024 };
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(*default_caps); i++)
		caps |= 1ull << proto_cap_from_name(default_caps[i]);
	s->id = "test";
	s->root_tag = "";
	s->root_path = "";
	s->namespaces = PROTO_NS_PID | PROTO_NS_UTS | PROTO_NS_IPC | PROTO_NS_NET;
	s->hostname = "runvm";
	s->domainname = "";
	s->n_mounts = sizeof(default_mounts) / sizeof(*default_mounts);
	s->mounts = L.mounts;
	s->masked = (struct proto_strv){ sizeof(default_masked) / sizeof(char *), L.masked };
	s->readonly = (struct proto_strv){ sizeof(default_ro) / sizeof(char *), L.ro };
	s->sysctl = L.sysctl;
	s->cgroup = L.cgroup;
	s->seccomp.default_action = PROTO_SCMP_ALLOW;
	s->seccomp.archs = (struct proto_strv){ 1, arch_x86_64 };
	s->seccomp.rules = L.rules;
	memset(p, 0, sizeof(*p));
	p->flags = PROTO_PROC_CAPS;
	p->env = (struct proto_strv){ 2, L.env };
	p->cwd = "/";
	p->gids = L.gids;
	p->n_rlimits = 1;
	p->rlimits = L.rlimits;
	p->caps[PROTO_CAP_BOUNDING] = p->caps[PROTO_CAP_EFFECTIVE] = p->caps[PROTO_CAP_PERMITTED] = caps;
}

static bool full(uint32_t n, const char *what)
{
	if (n < MAX_ITEMS)
		return false;
	fprintf(stderr, "agent-client: too many %s\n", what);
	return true;
}

static int parse_user(struct proto_process *p, const char *v)
{
	return sscanf(v, "%u:%u", &p->uid, &p->gid) == 2 ? 0 : -EINVAL;
}

static int parse_groups(struct proto_process *p, const char *v)
{
	char *copy = strdup(v), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t && !full(p->n_gids, "groups");
	     t = strtok_r(NULL, ",", &save))
		L.gids[p->n_gids++] = (uint32_t)strtoul(t, NULL, 10);
	free(copy);
	return 0;
}

static int parse_rlimit(struct proto_process *p, const char *v)
{
	char name[64];
	unsigned long long soft, hard;
	int type;

	if (sscanf(v, "%63[^=]=%llu:%llu", name, &soft, &hard) != 3)
		return -EINVAL;
	type = proto_rlimit_from_name(name);
	if (type < 0 || full(p->n_rlimits, "rlimits"))
		return -EINVAL;
	/* A later setting of the same limit replaces the default. */
	for (uint32_t i = 0; i < p->n_rlimits; i++)
		if (L.rlimits[i].type == (uint32_t)type) {
			L.rlimits[i] = (struct proto_rlimit){ (uint32_t)type, soft, hard };
			return 0;
		}
	L.rlimits[p->n_rlimits++] = (struct proto_rlimit){ (uint32_t)type, soft, hard };
	return 0;
}

static int add_kv(struct proto_kv *kv, uint32_t *n, const char *v)
{
	char *eq = strchr(v, '=');

	if (!eq || full(*n, "key=value settings"))
		return -EINVAL;
	kv[*n].key = strndup(v, (size_t)(eq - v));
	kv[(*n)++].value = eq + 1;
	return 0;
}

/* NAME[,NAME...] -> EPERM; or NAME:ARG:OP:VALUE -> EPERM when the condition holds. */
static int add_seccomp_rule(struct proto_spec *s, const char *v)
{
	struct proto_scmp_rule *r;
	char name[64], op[32];
	unsigned idx;
	unsigned long long val;

	if (full(s->seccomp.n_rules, "seccomp rules"))
		return -EINVAL;
	r = &L.rules[s->seccomp.n_rules];
	*r = (struct proto_scmp_rule){ .action = PROTO_SCMP_ERRNO, .ret = EPERM };
	if (sscanf(v, "%63[^:]:%u:%31[^:]:%lli", name, &idx, op, &val) == 4) {
		int o = proto_scmp_op_from_name(op);

		if (o < 0)
			return -EINVAL;
		L.args[s->seccomp.n_rules] = (struct proto_scmp_arg){ idx, (uint32_t)o, val, 0 };
		r->n_args = 1;
		r->args = &L.args[s->seccomp.n_rules];
		L.sc_names[s->seccomp.n_rules] = strdup(name);
		r->names = (struct proto_strv){ 1, &L.sc_names[s->seccomp.n_rules] };
	} else {
		char *copy = strdup(v), *save = NULL;
		const char **names = calloc(MAX_ITEMS, sizeof(*names));
		uint32_t n = 0;

		for (char *t = strtok_r(copy, ",", &save); t && n < MAX_ITEMS; t = strtok_r(NULL, ",", &save))
			names[n++] = t;
		r->names = (struct proto_strv){ n, names };
	}
	s->seccomp.n_rules++;
	s->flags |= PROTO_SPEC_SECCOMP;
	return 0;
}

/* --hook TIMEOUT:SCRIPT: a startContainer hook running /bin/sh -c SCRIPT with
 * HOOK_ENV=from-hook as its whole environment; the state is the runtime's kind. */
static const char *hook_env[] = { "HOOK_ENV=from-hook", "PATH=/bin" };

static int add_hook(struct proto_spec *s, const char *v)
{
	char *end;
	unsigned long t = strtoul(v, &end, 10);
	const char **a = L.hook_args[s->n_hooks];

	if (*end != ':' || full(s->n_hooks, "hooks"))
		return -EINVAL;
	a[0] = "sh";
	a[1] = "-c";
	a[2] = end + 1;
	L.hooks[s->n_hooks] = (struct proto_hook){ "/bin/sh", { 3, a }, { 2, hook_env },
						   (uint32_t)t };
	s->hooks = L.hooks;
	s->n_hooks++;
	s->hook_state = "{\"ociVersion\":\"1.0.2\",\"id\":\"agent-test\",\"status\":\"created\","
			"\"bundle\":\"/nonexistent\",\"annotations\":{}}";
	return 0;
}

static int add_mount(struct proto_spec *s, const char *v)
{
	char *copy = strdup(v), *src = strtok(copy, ":"), *dst = strtok(NULL, ":");
	char *type = strtok(NULL, ":"), *opts = strtok(NULL, "");
	struct proto_mount *m = &L.mounts[s->n_mounts];
	const char **o = calloc(MAX_ITEMS, sizeof(*o));
	uint32_t n = 0;

	if (!src || !dst || !type || full(s->n_mounts, "mounts"))
		return -EINVAL;
	for (char *t = opts ? strtok(opts, ",") : NULL; t && n < MAX_ITEMS; t = strtok(NULL, ","))
		o[n++] = t;
	*m = (struct proto_mount){ src, dst, type, { n, o } };
	s->n_mounts++;
	return 0;
}

/* One option with its value; 1 when name is not a spec option, <0 when bad. */
int client_spec_option(struct proto_spec *s, struct proto_process *p, const char *name,
		       const char *v)
{
	if (!strcmp(name, "--rootfs"))
		s->root_path = v;
	else if (!strcmp(name, "--root-tag"))
		s->root_tag = v;
	else if (!strcmp(name, "--user"))
		return parse_user(p, v);
	else if (!strcmp(name, "--groups"))
		return parse_groups(p, v);
	else if (!strcmp(name, "--umask")) {
		p->umask = (uint32_t)strtoul(v, NULL, 8);
		p->flags |= PROTO_PROC_UMASK;
	} else if (!strcmp(name, "--cwd"))
		p->cwd = v;
	else if (!strcmp(name, "--env")) {
		if (full(p->env.n, "env"))
			return -EINVAL;
		L.env[p->env.n++] = v;
	} else if (!strcmp(name, "--rlimit"))
		return parse_rlimit(p, v);
	else if (!strcmp(name, "--caps")) {
		uint64_t m;
		int ret = parse_caps(v, &m);

		p->caps[PROTO_CAP_BOUNDING] = p->caps[PROTO_CAP_EFFECTIVE] = m;
		p->caps[PROTO_CAP_PERMITTED] = m;
		return ret;
	} else if (!strcmp(name, "--ambient")) {
		int ret = parse_caps(v, &p->caps[PROTO_CAP_AMBIENT]);

		p->caps[PROTO_CAP_INHERITABLE] = p->caps[PROTO_CAP_AMBIENT];
		return ret;
	} else if (!strcmp(name, "--seccomp-errno"))
		return add_seccomp_rule(s, v);
	else if (!strcmp(name, "--mask") && !full(s->masked.n, "masked paths"))
		L.masked[s->masked.n++] = v;
	else if (!strcmp(name, "--ro-path") && !full(s->readonly.n, "readonly paths"))
		L.ro[s->readonly.n++] = v;
	else if (!strcmp(name, "--hostname"))
		s->hostname = v;
	else if (!strcmp(name, "--sysctl"))
		return add_kv(L.sysctl, &s->n_sysctl, v);
	else if (!strcmp(name, "--cgroup"))
		return add_kv(L.cgroup, &s->n_cgroup, v);
	else if (!strcmp(name, "--mount"))
		return add_mount(s, v);
	else if (!strcmp(name, "--hook"))
		return add_hook(s, v);
	else if (!strcmp(name, "--oom-score")) {
		p->oom_score_adj = atoi(v);
		p->flags |= PROTO_PROC_OOM_SCORE;
	} else if (!strcmp(name, "--namespaces")) {
		char *copy = strdup(v), *save = NULL;

		s->namespaces = 0;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int ns = proto_ns_from_name(t);

			if (ns < 0)
				return -EINVAL;
			s->namespaces |= (uint32_t)ns;
		}
	} else
		return 1;
	return 0;
}

/* Flags without a value; 1 when name is not one. */
int client_spec_flag(struct proto_spec *s, struct proto_process *p, const char *name)
{
	if (!strcmp(name, "--nnp"))
		p->flags |= PROTO_PROC_NNP;
	else if (!strcmp(name, "--readonly"))
		s->flags |= PROTO_SPEC_ROOT_RO;
	else if (!strcmp(name, "--no-caps"))
		p->flags &= ~PROTO_PROC_CAPS;
	else
		return 1;
	return 0;
}
