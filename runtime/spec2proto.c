/* config.json to struct proto_spec (see spec2proto.h). Strings are not copied:
 * the spec points into the config, and what is built here (mount sources, cgroup
 * values, arrays) comes from the spec's arena. */
#include "runtime/spec2proto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/logging.h"

#define SPEC_DEFAULT_CPU_PERIOD 100000 /* microseconds, the kernel's and runc's default */

static int nomem(struct rt_err *err)
{
	return rt_err_set(err, ENOMEM, "out of memory");
}

static void *arena_array(struct proto_arena *a, size_t n, size_t size)
{
	return n ? proto_arena_alloc(a, n * size) : NULL;
}

static const char *arena_printf(struct proto_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *arena_printf(struct proto_arena *a, const char *fmt, ...)
{
	char buf[PROTO_MAX_PATH + 1];
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return NULL;
	s = proto_arena_alloc(a, (size_t)n + 1);
	if (s)
		memcpy(s, buf, (size_t)n + 1);
	return s;
}

/* The config's NULL-terminated vectors serve as they are. */
static struct proto_strv strv(const struct oci_strv *sv)
{
	struct proto_strv l = { (uint32_t)sv->n, (const char **)sv->v };

	return l;
}

bool rt_mount_is_bind(const struct oci_mount *m)
{
	for (size_t i = 0; i < m->options.n; i++)
		if (!strcmp(m->options.v[i], "bind") || !strcmp(m->options.v[i], "rbind"))
			return true;
	return m->type && (!strcmp(m->type, "bind") || !strcmp(m->type, "rbind"));
}

/* Unknown capability names are skipped, as runc does (with a note in the log). */
static uint64_t cap_mask(const struct oci_strv *names)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < names->n; i++) {
		int cap = proto_cap_from_name(names->v[i]);

		if (cap < 0 || cap > 63)
			rt_log_debug("ignoring unknown capability %s", names->v[i]);
		else
			mask |= 1ull << cap;
	}
	return mask;
}

static int process_rlimits(const struct oci_process *p, struct proto_arena *a,
			   struct proto_process *out, struct rt_err *err)
{
	if (p->n_rlimits > PROTO_MAX_RLIMITS)
		return rt_err_set(err, E2BIG, "process.rlimits: at most %d entries",
				  PROTO_MAX_RLIMITS);
	out->rlimits = arena_array(a, p->n_rlimits, sizeof(*out->rlimits));
	if (p->n_rlimits && !out->rlimits)
		return nomem(err);
	for (size_t i = 0; i < p->n_rlimits; i++) {
		int t = proto_rlimit_from_name(p->rlimits[i].type);

		if (t < 0)
			return rt_err_set(err, EINVAL, "process.rlimits[%zu].type: unknown rlimit \"%s\"",
					  i, p->rlimits[i].type);
		out->rlimits[i].type = (uint32_t)t;
		out->rlimits[i].soft = p->rlimits[i].soft;
		out->rlimits[i].hard = p->rlimits[i].hard;
	}
	out->n_rlimits = (uint32_t)p->n_rlimits;
	return 0;
}

int rt_process_build(const struct oci_process *p, struct proto_arena *a, struct proto_process *out,
		     struct rt_err *err)
{
	const struct oci_user *u = &p->user;

	memset(out, 0, sizeof(*out));
	if (!p->args.n)
		return rt_err_set(err, EINVAL, "process.args: at least one argument is required");
	if (p->args.n > PROTO_MAX_ARGS || p->env.n > PROTO_MAX_ENV)
		return rt_err_set(err, E2BIG, "process: too many args or env entries (limit %d)",
				  PROTO_MAX_ARGS);
	out->args = strv(&p->args);
	out->env = strv(&p->env);
	out->cwd = p->cwd && p->cwd[0] ? p->cwd : "/";
	if (out->cwd[0] != '/')
		return rt_err_set(err, EINVAL, "process.cwd: must be an absolute path, got \"%s\"",
				  out->cwd);
	out->uid = u->uid;
	out->gid = u->gid;
	if (u->has_umask) {
		out->flags |= PROTO_PROC_UMASK;
		out->umask = u->umask & 07777;
	}
	if (u->n_additional_gids > PROTO_MAX_GIDS)
		return rt_err_set(err, E2BIG, "process.user.additionalGids: at most %d",
				  PROTO_MAX_GIDS);
	out->n_gids = (uint32_t)u->n_additional_gids;
	out->gids = arena_array(a, u->n_additional_gids, sizeof(*out->gids));
	if (out->n_gids && !out->gids)
		return nomem(err);
	if (out->n_gids)
		memcpy(out->gids, u->additional_gids, out->n_gids * sizeof(*out->gids));
	if (p->terminal)
		out->flags |= PROTO_PROC_TERMINAL;
	if (p->has_console_size) {
		out->rows = (uint16_t)(p->console_height > UINT16_MAX ? UINT16_MAX : p->console_height);
		out->cols = (uint16_t)(p->console_width > UINT16_MAX ? UINT16_MAX : p->console_width);
	}
	if (p->has_caps) {
		out->flags |= PROTO_PROC_CAPS;
		out->caps[PROTO_CAP_BOUNDING] = cap_mask(&p->caps.bounding);
		out->caps[PROTO_CAP_EFFECTIVE] = cap_mask(&p->caps.effective);
		out->caps[PROTO_CAP_INHERITABLE] = cap_mask(&p->caps.inheritable);
		out->caps[PROTO_CAP_PERMITTED] = cap_mask(&p->caps.permitted);
		out->caps[PROTO_CAP_AMBIENT] = cap_mask(&p->caps.ambient);
	}
	if (p->no_new_privileges)
		out->flags |= PROTO_PROC_NNP;
	if (p->has_oom_score_adj) {
		out->flags |= PROTO_PROC_OOM_SCORE;
		out->oom_score_adj = p->oom_score_adj;
	}
	return process_rlimits(p, a, out, err);
}

uint64_t rt_cpu_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

static int kv_add(struct proto_arena *a, struct proto_kv *kv, uint32_t *n, const char *key,
		  const char *value, struct rt_err *err)
{
	if (!value)
		return nomem(err);
	kv[*n].key = key;
	kv[(*n)++].value = value;
	return 0;
}

static const char *bytes_or_max(struct proto_arena *a, int64_t v)
{
	return v < 0 ? "max" : arena_printf(a, "%" PRId64, v);
}

int rt_resources_cgroup(const struct oci_resources *r, struct proto_arena *a, struct proto_kv **kv,
			uint32_t *n, struct rt_err *err)
{
	struct proto_kv *v = arena_array(a, 8, sizeof(*v));
	uint32_t k = 0;
	int x = 0;

	*kv = NULL;
	*n = 0;
	if (!v)
		return nomem(err);
	/* A limit of 0 means "not set" to every client that sends one. */
	if (r->has_memory_limit && r->memory_limit != 0)
		x = kv_add(a, v, &k, "memory.max", bytes_or_max(a, r->memory_limit), err);
	if (!x && r->has_memory_reservation && r->memory_reservation != 0)
		x = kv_add(a, v, &k, "memory.low", bytes_or_max(a, r->memory_reservation), err);
	/* memory.swap: the guest has no swap, so there is nothing to limit. */
	if (!x && (r->has_cpu_quota || r->has_cpu_period) && r->cpu_quota != 0) {
		uint64_t period = r->has_cpu_period && r->cpu_period ? r->cpu_period
								     : SPEC_DEFAULT_CPU_PERIOD;

		x = r->has_cpu_quota && r->cpu_quota > 0
			? kv_add(a, v, &k, "cpu.max",
				 arena_printf(a, "%" PRId64 " %" PRIu64, r->cpu_quota, period), err)
			: kv_add(a, v, &k, "cpu.max", arena_printf(a, "max %" PRIu64, period), err);
	}
	if (!x && r->has_cpu_shares && r->cpu_shares)
		x = kv_add(a, v, &k, "cpu.weight",
			   arena_printf(a, "%" PRIu64, rt_cpu_shares_to_weight(r->cpu_shares)), err);
	if (!x && r->has_pids_limit && r->pids_limit != 0)
		x = kv_add(a, v, &k, "pids.max", bytes_or_max(a, r->pids_limit > 0 ? r->pids_limit : -1),
			   err);
	if (x < 0)
		return x;
	*kv = k ? v : NULL;
	*n = k;
	return 0;
}

static int spec_mounts(const struct rt_spec_in *in, struct proto_spec *s, struct rt_err *err)
{
	const struct oci_config *cfg = in->cfg;

	if (cfg->n_mounts > PROTO_MAX_MOUNTS)
		return rt_err_set(err, E2BIG, "mounts: at most %d entries", PROTO_MAX_MOUNTS);
	s->mounts = arena_array(&s->arena, cfg->n_mounts, sizeof(*s->mounts));
	if (cfg->n_mounts && !s->mounts)
		return nomem(err);
	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];
		struct proto_mount *pm = &s->mounts[i];

		if (m->options.n > PROTO_MAX_OPTIONS)
			return rt_err_set(err, E2BIG, "mounts[%zu].options: at most %d", i,
					  PROTO_MAX_OPTIONS);
		pm->destination = m->destination;
		pm->options = strv(&m->options);
		if (rt_mount_is_bind(m)) {
			const char *name = in->bind_names ? in->bind_names[i] : NULL;

			if (!name)
				return rt_err_set(err, EINVAL,
						  "mounts[%zu] (%s): bind source %s is not in the share",
						  i, m->destination, m->source ? m->source : "");
			pm->type = "bind";
			pm->source = arena_printf(&s->arena, "%s/%s", PROTO_SHARE_DIR, name);
			if (!pm->source)
				return nomem(err);
			continue;
		}
		pm->type = m->type ? m->type : "";
		pm->source = m->source ? m->source : pm->type;
	}
	s->n_mounts = (uint32_t)cfg->n_mounts;
	return 0;
}

static int spec_devices(const struct oci_linux *l, struct proto_spec *s, struct rt_err *err)
{
	if (l->n_devices > PROTO_MAX_DEVICES)
		return rt_err_set(err, E2BIG, "linux.devices: at most %d", PROTO_MAX_DEVICES);
	s->devices = arena_array(&s->arena, l->n_devices, sizeof(*s->devices));
	if (l->n_devices && !s->devices)
		return nomem(err);
	for (size_t i = 0; i < l->n_devices; i++) {
		const struct oci_device *d = &l->devices[i];
		struct proto_device *pd = &s->devices[i];

		if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
			return rt_err_set(err, EINVAL, "linux.devices[%zu] (%s): bad major/minor", i,
					  d->path);
		pd->path = d->path;
		pd->type = (uint32_t)(unsigned char)d->type;
		pd->major = (uint32_t)d->major;
		pd->minor = (uint32_t)d->minor;
		pd->mode = d->file_mode;
		pd->uid = d->uid;
		pd->gid = d->gid;
		pd->flags = (d->has_file_mode ? PROTO_DEV_MODE : 0) | (d->has_uid ? PROTO_DEV_UID : 0) |
			    (d->has_gid ? PROTO_DEV_GID : 0);
	}
	s->n_devices = (uint32_t)l->n_devices;
	return 0;
}

static int spec_sysctl(const struct oci_linux *l, struct proto_spec *s, struct rt_err *err)
{
	if (l->sysctl.n > PROTO_MAX_KV)
		return rt_err_set(err, E2BIG, "linux.sysctl: at most %d entries", PROTO_MAX_KV);
	s->sysctl = arena_array(&s->arena, l->sysctl.n, sizeof(*s->sysctl));
	if (l->sysctl.n && !s->sysctl)
		return nomem(err);
	for (size_t i = 0; i < l->sysctl.n; i++) {
		s->sysctl[i].key = l->sysctl.v[i].key;
		s->sysctl[i].value = l->sysctl.v[i].value;
	}
	s->n_sysctl = (uint32_t)l->sysctl.n;
	return 0;
}

static int spec_namespaces(const struct oci_linux *l, struct proto_spec *s, struct rt_err *err)
{
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const char *name = oci_ns_type_name(l->namespaces[i].type);
		int bit = proto_ns_from_name(name);

		if (bit < 0)
			return rt_err_set(err, EINVAL,
					  "linux.namespaces: %s namespaces are not supported by runvm",
					  name);
		/* A network namespace given by path is the caller's network: the VM is
		 * attached to it (runtime/net.c), and the container runs in the guest's
		 * own namespace, which holds it. */
		if (bit == PROTO_NS_NET && l->namespaces[i].path)
			continue;
		s->namespaces |= (uint32_t)bit;
	}
	return 0;
}

static int scmp_action(const char *name, bool has_ret, uint32_t ret, uint32_t *act, uint32_t *out_ret,
		       const char *path, struct rt_err *err)
{
	int a = proto_scmp_act_from_name(name);

	if (a < 0)
		return rt_err_set(err, EINVAL, "%s: seccomp action %s is not supported by runvm", path,
				  name);
	*act = (uint32_t)a;
	*out_ret = (a == PROTO_SCMP_ERRNO || a == PROTO_SCMP_TRACE) ? (has_ret ? ret : EPERM) : 0;
	return 0;
}

static int scmp_rule(const struct oci_seccomp_syscall *sc, size_t i, struct proto_arena *a,
		     struct proto_scmp_rule *r, struct rt_err *err)
{
	char path[64];

	snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", i);
	if (sc->names.n > PROTO_MAX_SYSCALLS || sc->n_args > PROTO_MAX_CONDS)
		return rt_err_set(err, E2BIG, "%s: too many names or args", path);
	r->names = strv(&sc->names);
	if (scmp_action(sc->action, sc->has_errno_ret, sc->errno_ret, &r->action, &r->ret, path,
			err) < 0)
		return -EINVAL;
	r->args = arena_array(a, sc->n_args, sizeof(*r->args));
	if (sc->n_args && !r->args)
		return nomem(err);
	for (size_t j = 0; j < sc->n_args; j++) {
		int op = proto_scmp_op_from_name(sc->args[j].op);

		if (op < 0)
			return rt_err_set(err, EINVAL, "%s.args[%zu].op: unknown operator %s", path, j,
					  sc->args[j].op);
		r->args[j].index = sc->args[j].index;
		r->args[j].op = (uint32_t)op;
		r->args[j].value = sc->args[j].value;
		r->args[j].value_two = sc->args[j].value_two;
	}
	r->n_args = (uint32_t)sc->n_args;
	return 0;
}

static int scmp_flags(const struct oci_strv *flags, uint32_t *out, struct rt_err *err)
{
	for (size_t i = 0; i < flags->n; i++) {
		const char *f = flags->v[i];

		if (!strcmp(f, "SECCOMP_FILTER_FLAG_LOG"))
			*out |= PROTO_SCMP_FLAG_LOG;
		else if (!strcmp(f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
			*out |= PROTO_SCMP_FLAG_SPEC_ALLOW;
		else if (strcmp(f, "SECCOMP_FILTER_FLAG_TSYNC")) /* implied: one thread */
			return rt_err_set(err, EINVAL,
					  "linux.seccomp.flags: %s is not supported by runvm", f);
	}
	return 0;
}

static int spec_seccomp(const struct oci_seccomp *sc, struct proto_spec *s, struct rt_err *err)
{
	struct proto_seccomp *o = &s->seccomp;

	if (!sc)
		return 0;
	if (sc->listener_path && sc->listener_path[0])
		return rt_err_set(err, EINVAL,
				  "linux.seccomp.listenerPath: seccomp notify is not supported by "
				  "runvm (the filter runs in the guest)");
	if (!sc->default_action)
		return rt_err_set(err, EINVAL, "linux.seccomp.defaultAction: required");
	if (sc->n_syscalls > PROTO_MAX_RULES || sc->architectures.n > PROTO_MAX_ARCHS)
		return rt_err_set(err, E2BIG, "linux.seccomp: too many syscalls or architectures");
	if (scmp_action(sc->default_action, sc->has_default_errno_ret, sc->default_errno_ret,
			&o->default_action, &o->default_ret, "linux.seccomp.defaultAction", err) < 0 ||
	    scmp_flags(&sc->flags, &o->flags, err) < 0)
		return -EINVAL;
	o->archs = strv(&sc->architectures);
	o->rules = arena_array(&s->arena, sc->n_syscalls, sizeof(*o->rules));
	if (sc->n_syscalls && !o->rules)
		return nomem(err);
	for (size_t i = 0; i < sc->n_syscalls; i++)
		if (scmp_rule(&sc->syscalls[i], i, &s->arena, &o->rules[i], err) < 0)
			return -EINVAL;
	o->n_rules = (uint32_t)sc->n_syscalls;
	s->flags |= PROTO_SPEC_SECCOMP;
	return 0;
}

static int spec_paths(const struct oci_linux *l, struct proto_spec *s, struct rt_err *err)
{
	if (l->masked_paths.n > PROTO_MAX_PATHS || l->readonly_paths.n > PROTO_MAX_PATHS)
		return rt_err_set(err, E2BIG, "linux.maskedPaths/readonlyPaths: at most %d entries",
				  PROTO_MAX_PATHS);
	s->masked = strv(&l->masked_paths);
	s->readonly = strv(&l->readonly_paths);
	return 0;
}

/* startContainer hooks run in the guest; the others stay on the host. */
static int spec_hooks(const struct rt_spec_in *in, struct proto_spec *s, struct rt_err *err)
{
	const struct oci_hook_list *l = &in->cfg->hooks[OCI_HOOK_START_CONTAINER];

	if (!l->n)
		return 0;
	if (l->n > PROTO_MAX_HOOKS)
		return rt_err_set(err, E2BIG, "hooks.startContainer: at most %d hooks",
				  PROTO_MAX_HOOKS);
	if (!in->hook_state)
		return rt_err_set(err, EINVAL, "hooks.startContainer: no state rendered for them");
	if (strlen(in->hook_state) > PROTO_MAX_STATE)
		return rt_err_set(err, E2BIG, "hooks.startContainer: the state (annotations) is "
				  "over %d bytes", PROTO_MAX_STATE);
	s->hooks = arena_array(&s->arena, l->n, sizeof(*s->hooks));
	if (!s->hooks)
		return nomem(err);
	for (size_t i = 0; i < l->n; i++) {
		const struct oci_hook *h = &l->v[i];
		struct proto_hook *o = &s->hooks[i];

		if (!h->path || h->path[0] != '/')
			return rt_err_set(err, EINVAL, "hooks.startContainer[%zu].path: must be an "
					  "absolute path in the container", i);
		if (h->args.n > PROTO_MAX_HOOK_ARGS || h->env.n > PROTO_MAX_HOOK_ARGS)
			return rt_err_set(err, E2BIG, "hooks.startContainer[%zu]: at most %d args "
					  "and env entries", i, PROTO_MAX_HOOK_ARGS);
		o->path = h->path;
		o->args = strv(&h->args);
		o->env = strv(&h->env);
		o->timeout = h->has_timeout ? (uint32_t)h->timeout : 0;
	}
	s->n_hooks = (uint32_t)l->n;
	s->hook_state = in->hook_state;
	return 0;
}

int rt_spec_build(const struct rt_spec_in *in, struct proto_spec *s, struct rt_err *err)
{
	const struct oci_config *cfg = in->cfg;
	const struct oci_linux *l = &cfg->lnx;
	int r;

	memset(s, 0, sizeof(*s));
	if (!cfg->process)
		return rt_err_set(err, EINVAL, "process: required to create a container");
	s->id = in->id;
	s->root_tag = in->root_tag ? in->root_tag : "";
	s->root_path = in->root_path ? in->root_path : "";
	s->hostname = cfg->hostname ? cfg->hostname : "";
	s->domainname = cfg->domainname ? cfg->domainname : "";
	if (strlen(s->hostname) > PROTO_MAX_HOSTNAME || strlen(s->domainname) > PROTO_MAX_HOSTNAME)
		return rt_err_set(err, EINVAL, "hostname/domainname: longer than %d bytes",
				  PROTO_MAX_HOSTNAME);
	if (cfg->root.readonly)
		s->flags |= PROTO_SPEC_ROOT_RO;
	r = rt_process_build(cfg->process, &s->arena, &s->process, err);
	if (r == 0 && in->n_extra > PROTO_MAX_EXTRA_FDS)
		r = rt_err_set(err, E2BIG, "--preserve-fds: more than %d fds", PROTO_MAX_EXTRA_FDS);
	if (r == 0 && in->n_extra) {
		s->process.n_extra = in->n_extra;
		memcpy(s->process.extra, in->extra, in->n_extra * sizeof(*in->extra));
	}
	if (r == 0)
		r = spec_mounts(in, s, err);
	if (r == 0)
		r = spec_namespaces(l, s, err);
	if (r == 0)
		r = spec_sysctl(l, s, err);
	if (r == 0)
		r = spec_paths(l, s, err);
	if (r == 0)
		r = spec_devices(l, s, err);
	if (r == 0)
		r = rt_resources_cgroup(&l->resources, &s->arena, &s->cgroup, &s->n_cgroup, err);
	if (r == 0)
		r = spec_seccomp(l->seccomp, s, err);
	if (r == 0)
		r = spec_hooks(in, s, err);
	s->netifs = in->netifs;
	s->n_netifs = in->n_netifs;
	s->routes = in->routes;
	s->n_routes = in->n_routes;
	return r < 0 ? rt_err_prefix(err, "config.json") : 0;
}

int rt_spec_encode(const struct rt_spec_in *in, struct proto_buf *b, struct rt_err *err)
{
	struct proto_spec s;
	int r;

	r = rt_spec_build(in, &s, err);
	if (r == 0) {
		r = proto_enc_spec(b, 1, &s);
		if (r < 0)
			rt_err_sys(err, r, "config.json: the container spec does not fit the protocol");
	}
	proto_spec_free(&s);
	return r;
}
