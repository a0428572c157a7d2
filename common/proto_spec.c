/* Encoding and decoding of the container spec (CREATE), of a process (CREATE's
 * process, EXEC) and of the cgroup UPDATE. Fields go in the order of struct
 * proto_spec; the decoder checks structure and bounds, the guest checks meaning
 * (paths, ports, modes). */
#include "common/proto.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool proto_extra_dir_ok(uint32_t dir)
{
	return dir >= PROTO_EXTRA_IN && dir <= PROTO_EXTRA_BOTH;
}

/* --preserve-fds (PROTO_VERSION 3): u32 count, then (u32 dir, u32 port) each. */
static void proto_enc_extra(struct proto_buf *b, const struct proto_process *p)
{
	bool bad = p->n_extra > PROTO_MAX_EXTRA_FDS;

	for (uint32_t i = 0; !bad && i < p->n_extra; i++)
		bad = !proto_extra_dir_ok(p->extra[i].dir);
	if (bad) {
		if (!b->err)
			b->err = p->n_extra > PROTO_MAX_EXTRA_FDS ? -E2BIG : -EINVAL;
		return;
	}
	proto_put_u32(b, p->n_extra);
	for (uint32_t i = 0; i < p->n_extra; i++) {
		proto_put_u32(b, p->extra[i].dir);
		proto_put_u32(b, p->extra[i].port);
	}
}

static void proto_enc_process(struct proto_buf *b, const struct proto_process *p)
{
	if (p->flags & ~PROTO_PROC_FLAGS || p->n_gids > PROTO_MAX_GIDS ||
	    p->n_rlimits > PROTO_MAX_RLIMITS) {
		if (!b->err)
			b->err = -E2BIG;
		return;
	}
	proto_put_u32(b, p->flags);
	proto_put_strv(b, &p->args, PROTO_MAX_ARGS, PROTO_MAX_ARG);
	proto_put_strv(b, &p->env, PROTO_MAX_ENV, PROTO_MAX_ARG);
	proto_put_str(b, p->cwd, PROTO_MAX_PATH);
	proto_put_u32(b, p->uid);
	proto_put_u32(b, p->gid);
	proto_put_u32(b, p->umask);
	proto_put_u32(b, p->n_gids);
	for (uint32_t i = 0; i < p->n_gids; i++)
		proto_put_u32(b, p->gids[i]);
	for (int i = 0; i < PROTO_CAP_NSETS; i++)
		proto_put_u64(b, p->caps[i]);
	proto_put_u32(b, p->n_rlimits);
	for (uint32_t i = 0; i < p->n_rlimits; i++) {
		proto_put_u32(b, p->rlimits[i].type);
		proto_put_u64(b, p->rlimits[i].soft);
		proto_put_u64(b, p->rlimits[i].hard);
	}
	proto_put_u32(b, (uint32_t)p->oom_score_adj);
	proto_put_u16(b, p->rows);
	proto_put_u16(b, p->cols);
	for (int i = 0; i < 3; i++)
		proto_put_u32(b, p->stdio[i]);
	proto_enc_extra(b, p);
}

void *proto_get_array(struct proto_rd *r, uint32_t n, size_t size)
{
	void *p;

	if (r->err || !n)
		return NULL;
	p = proto_arena_alloc(r->arena, (size_t)n * size);
	if (!p && !r->err) {
		r->err = -ENOMEM;
		r->n = 0;
	}
	return p;
}

static void proto_rd_invalid(struct proto_rd *r)
{
	if (!r->err)
		r->err = -EINVAL;
	r->n = 0;
}

static void proto_dec_extra(struct proto_rd *r, struct proto_process *p)
{
	p->n_extra = proto_get_count(r, PROTO_MAX_EXTRA_FDS, 8);
	for (uint32_t i = 0; i < p->n_extra && !r->err; i++) {
		p->extra[i].dir = proto_get_u32(r);
		p->extra[i].port = proto_get_u32(r);
		if (!proto_extra_dir_ok(p->extra[i].dir))
			proto_rd_invalid(r);
	}
	if (r->err)
		p->n_extra = 0;
}

static void proto_dec_process(struct proto_rd *r, struct proto_process *p)
{
	p->flags = proto_get_u32(r);
	if (p->flags & ~PROTO_PROC_FLAGS)
		proto_rd_invalid(r);
	proto_get_strv(r, &p->args, PROTO_MAX_ARGS, PROTO_MAX_ARG);
	proto_get_strv(r, &p->env, PROTO_MAX_ENV, PROTO_MAX_ARG);
	p->cwd = proto_get_str(r, PROTO_MAX_PATH);
	p->uid = proto_get_u32(r);
	p->gid = proto_get_u32(r);
	p->umask = proto_get_u32(r);
	p->n_gids = proto_get_count(r, PROTO_MAX_GIDS, 4);
	p->gids = proto_get_array(r, p->n_gids, sizeof(*p->gids));
	for (uint32_t i = 0; p->gids && i < p->n_gids; i++)
		p->gids[i] = proto_get_u32(r);
	for (int i = 0; i < PROTO_CAP_NSETS; i++)
		p->caps[i] = proto_get_u64(r);
	p->n_rlimits = proto_get_count(r, PROTO_MAX_RLIMITS, 20);
	p->rlimits = proto_get_array(r, p->n_rlimits, sizeof(*p->rlimits));
	for (uint32_t i = 0; p->rlimits && i < p->n_rlimits; i++) {
		p->rlimits[i].type = proto_get_u32(r);
		p->rlimits[i].soft = proto_get_u64(r);
		p->rlimits[i].hard = proto_get_u64(r);
	}
	p->oom_score_adj = (int32_t)proto_get_u32(r);
	p->rows = proto_get_u16(r);
	p->cols = proto_get_u16(r);
	for (int i = 0; i < 3; i++)
		p->stdio[i] = proto_get_u32(r);
	proto_dec_extra(r, p);
	if (r->err) {
		p->n_gids = p->n_rlimits = 0;
		p->gids = NULL;
		p->rlimits = NULL;
	}
}

static void proto_enc_kvs(struct proto_buf *b, const struct proto_kv *kv, uint32_t n)
{
	if (n > PROTO_MAX_KV && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, n);
	for (uint32_t i = 0; i < n && !b->err; i++) {
		proto_put_str(b, kv[i].key, PROTO_MAX_NAME);
		proto_put_str(b, kv[i].value, PROTO_MAX_VALUE);
	}
}

static struct proto_kv *proto_dec_kvs(struct proto_rd *r, uint32_t *n)
{
	struct proto_kv *kv;

	*n = proto_get_count(r, PROTO_MAX_KV, 8);
	kv = proto_get_array(r, *n, sizeof(*kv));
	for (uint32_t i = 0; kv && i < *n; i++) {
		kv[i].key = proto_get_str(r, PROTO_MAX_NAME);
		kv[i].value = proto_get_str(r, PROTO_MAX_VALUE);
	}
	if (r->err)
		*n = 0;
	return r->err ? NULL : kv;
}

static void proto_enc_mounts(struct proto_buf *b, const struct proto_spec *s)
{
	if (s->n_mounts > PROTO_MAX_MOUNTS && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, s->n_mounts);
	for (uint32_t i = 0; i < s->n_mounts && !b->err; i++) {
		const struct proto_mount *m = &s->mounts[i];

		proto_put_str(b, m->source, PROTO_MAX_PATH);
		proto_put_str(b, m->destination, PROTO_MAX_PATH);
		proto_put_str(b, m->type, PROTO_MAX_NAME);
		proto_put_strv(b, &m->options, PROTO_MAX_OPTIONS, PROTO_MAX_PATH);
	}
}

static void proto_dec_mounts(struct proto_rd *r, struct proto_spec *s)
{
	s->n_mounts = proto_get_count(r, PROTO_MAX_MOUNTS, 16);
	s->mounts = proto_get_array(r, s->n_mounts, sizeof(*s->mounts));
	for (uint32_t i = 0; s->mounts && i < s->n_mounts; i++) {
		struct proto_mount *m = &s->mounts[i];

		m->source = proto_get_str(r, PROTO_MAX_PATH);
		m->destination = proto_get_str(r, PROTO_MAX_PATH);
		m->type = proto_get_str(r, PROTO_MAX_NAME);
		proto_get_strv(r, &m->options, PROTO_MAX_OPTIONS, PROTO_MAX_PATH);
	}
}

static void proto_enc_devices(struct proto_buf *b, const struct proto_spec *s)
{
	if (s->n_devices > PROTO_MAX_DEVICES && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, s->n_devices);
	for (uint32_t i = 0; i < s->n_devices && !b->err; i++) {
		const struct proto_device *d = &s->devices[i];

		proto_put_str(b, d->path, PROTO_MAX_PATH);
		proto_put_u32(b, d->type);
		proto_put_u32(b, d->major);
		proto_put_u32(b, d->minor);
		proto_put_u32(b, d->mode);
		proto_put_u32(b, d->uid);
		proto_put_u32(b, d->gid);
		proto_put_u32(b, d->flags);
	}
}

static void proto_dec_devices(struct proto_rd *r, struct proto_spec *s)
{
	s->n_devices = proto_get_count(r, PROTO_MAX_DEVICES, 32);
	s->devices = proto_get_array(r, s->n_devices, sizeof(*s->devices));
	for (uint32_t i = 0; s->devices && i < s->n_devices; i++) {
		struct proto_device *d = &s->devices[i];

		d->path = proto_get_str(r, PROTO_MAX_PATH);
		d->type = proto_get_u32(r);
		d->major = proto_get_u32(r);
		d->minor = proto_get_u32(r);
		d->mode = proto_get_u32(r);
		d->uid = proto_get_u32(r);
		d->gid = proto_get_u32(r);
		d->flags = proto_get_u32(r);
		if (!d->type || d->type > 127 || !strchr("cubp", (int)d->type))
			proto_rd_invalid(r);
	}
}

static void proto_enc_seccomp(struct proto_buf *b, const struct proto_seccomp *sc)
{
	if (sc->n_rules > PROTO_MAX_RULES && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, sc->default_action);
	proto_put_u32(b, sc->default_ret);
	proto_put_u32(b, sc->flags);
	proto_put_strv(b, &sc->archs, PROTO_MAX_ARCHS, PROTO_MAX_NAME);
	proto_put_u32(b, sc->n_rules);
	for (uint32_t i = 0; i < sc->n_rules && !b->err; i++) {
		const struct proto_scmp_rule *ru = &sc->rules[i];

		if (ru->n_args > PROTO_MAX_CONDS && !b->err)
			b->err = -E2BIG;
		proto_put_strv(b, &ru->names, PROTO_MAX_SYSCALLS, PROTO_MAX_NAME);
		proto_put_u32(b, ru->action);
		proto_put_u32(b, ru->ret);
		proto_put_u32(b, ru->n_args);
		for (uint32_t j = 0; j < ru->n_args && !b->err; j++) {
			proto_put_u32(b, ru->args[j].index);
			proto_put_u32(b, ru->args[j].op);
			proto_put_u64(b, ru->args[j].value);
			proto_put_u64(b, ru->args[j].value_two);
		}
	}
}

static void proto_dec_rule(struct proto_rd *r, struct proto_scmp_rule *ru)
{
	proto_get_strv(r, &ru->names, PROTO_MAX_SYSCALLS, PROTO_MAX_NAME);
	ru->action = proto_get_u32(r);
	ru->ret = proto_get_u32(r);
	ru->n_args = proto_get_count(r, PROTO_MAX_CONDS, 24);
	ru->args = proto_get_array(r, ru->n_args, sizeof(*ru->args));
	for (uint32_t j = 0; ru->args && j < ru->n_args; j++) {
		struct proto_scmp_arg *a = &ru->args[j];

		a->index = proto_get_u32(r);
		a->op = proto_get_u32(r);
		a->value = proto_get_u64(r);
		a->value_two = proto_get_u64(r);
		/* Syscalls have six arguments. */
		if (a->index > 5 || a->op < 1 || a->op > PROTO_SCMP_OP_MAX)
			proto_rd_invalid(r);
	}
	if (ru->action < 1 || ru->action > PROTO_SCMP_ACT_MAX)
		proto_rd_invalid(r);
}

static void proto_dec_seccomp(struct proto_rd *r, struct proto_seccomp *sc, int used)
{
	sc->default_action = proto_get_u32(r);
	sc->default_ret = proto_get_u32(r);
	sc->flags = proto_get_u32(r);
	proto_get_strv(r, &sc->archs, PROTO_MAX_ARCHS, PROTO_MAX_NAME);
	sc->n_rules = proto_get_count(r, PROTO_MAX_RULES, 16);
	sc->rules = proto_get_array(r, sc->n_rules, sizeof(*sc->rules));
	for (uint32_t i = 0; sc->rules && i < sc->n_rules; i++)
		proto_dec_rule(r, &sc->rules[i]);
	if (used && (sc->default_action < 1 || sc->default_action > PROTO_SCMP_ACT_MAX))
		proto_rd_invalid(r);
	if (sc->flags & ~(PROTO_SCMP_FLAG_LOG | PROTO_SCMP_FLAG_SPEC_ALLOW))
		proto_rd_invalid(r);
}

static void proto_enc_hooks(struct proto_buf *b, const struct proto_spec *s)
{
	if (s->n_hooks > PROTO_MAX_HOOKS && !b->err)
		b->err = -E2BIG;
	proto_put_u32(b, s->n_hooks);
	for (uint32_t i = 0; i < s->n_hooks && !b->err; i++) {
		const struct proto_hook *h = &s->hooks[i];

		if ((!h->path || h->path[0] != '/') && !b->err)
			b->err = -EINVAL;
		proto_put_str(b, h->path, PROTO_MAX_PATH);
		proto_put_strv(b, &h->args, PROTO_MAX_HOOK_ARGS, PROTO_MAX_ARG);
		proto_put_strv(b, &h->env, PROTO_MAX_HOOK_ARGS, PROTO_MAX_ARG);
		proto_put_u32(b, h->timeout);
	}
	proto_put_str(b, s->hook_state, PROTO_MAX_STATE);
}

/* The state is a JSON object the guest can insert "pid" into; the guest does not
 * parse it further. */
static bool proto_state_ok(const char *st, uint32_t n_hooks)
{
	size_t n = strlen(st);

	if (!n)
		return !n_hooks;
	return n >= 2 && st[0] == '{' && st[n - 1] == '}';
}

static void proto_dec_hooks(struct proto_rd *r, struct proto_spec *s)
{
	s->n_hooks = proto_get_count(r, PROTO_MAX_HOOKS, 16);
	s->hooks = proto_get_array(r, s->n_hooks, sizeof(*s->hooks));
	for (uint32_t i = 0; s->hooks && i < s->n_hooks; i++) {
		struct proto_hook *h = &s->hooks[i];

		h->path = proto_get_str(r, PROTO_MAX_PATH);
		proto_get_strv(r, &h->args, PROTO_MAX_HOOK_ARGS, PROTO_MAX_ARG);
		proto_get_strv(r, &h->env, PROTO_MAX_HOOK_ARGS, PROTO_MAX_ARG);
		h->timeout = proto_get_u32(r);
		if (!r->err && h->path[0] != '/')
			proto_rd_invalid(r);
	}
	s->hook_state = proto_get_str(r, PROTO_MAX_STATE);
	if (!r->err && !proto_state_ok(s->hook_state, s->n_hooks))
		proto_rd_invalid(r);
}

int proto_enc_spec(struct proto_buf *b, uint32_t id, const struct proto_spec *s)
{
	proto_begin(b, PROTO_CREATE, id);
	if ((s->flags & ~PROTO_SPEC_FLAGS || s->namespaces & ~PROTO_NS_ALL) && !b->err)
		b->err = -EINVAL;
	proto_put_str(b, s->id, PROTO_MAX_NAME);
	proto_put_str(b, s->root_tag, PROTO_MAX_NAME);
	proto_put_str(b, s->root_path, PROTO_MAX_PATH);
	proto_put_u32(b, s->flags);
	proto_put_u32(b, s->namespaces);
	proto_put_str(b, s->hostname, PROTO_MAX_HOSTNAME);
	proto_put_str(b, s->domainname, PROTO_MAX_HOSTNAME);
	proto_enc_process(b, &s->process);
	proto_enc_mounts(b, s);
	proto_enc_kvs(b, s->sysctl, s->n_sysctl);
	proto_put_strv(b, &s->masked, PROTO_MAX_PATHS, PROTO_MAX_PATH);
	proto_put_strv(b, &s->readonly, PROTO_MAX_PATHS, PROTO_MAX_PATH);
	proto_enc_devices(b, s);
	proto_enc_kvs(b, s->cgroup, s->n_cgroup);
	proto_enc_seccomp(b, &s->seccomp);
	if (!proto_state_ok(s->hook_state ? s->hook_state : "", s->n_hooks) && !b->err)
		b->err = -EINVAL;
	proto_enc_hooks(b, s);
	proto_enc_net(b, s);
	return proto_end(b);
}

int proto_dec_spec(const void *p, size_t n, struct proto_spec *s)
{
	struct proto_rd r;
	int ret;

	memset(s, 0, sizeof(*s));
	proto_rd_init(&r, p, n, &s->arena);
	s->id = proto_get_str(&r, PROTO_MAX_NAME);
	s->root_tag = proto_get_str(&r, PROTO_MAX_NAME);
	s->root_path = proto_get_str(&r, PROTO_MAX_PATH);
	s->flags = proto_get_u32(&r);
	s->namespaces = proto_get_u32(&r);
	if (s->flags & ~PROTO_SPEC_FLAGS || s->namespaces & ~PROTO_NS_ALL)
		proto_rd_invalid(&r);
	s->hostname = proto_get_str(&r, PROTO_MAX_HOSTNAME);
	s->domainname = proto_get_str(&r, PROTO_MAX_HOSTNAME);
	proto_dec_process(&r, &s->process);
	proto_dec_mounts(&r, s);
	s->sysctl = proto_dec_kvs(&r, &s->n_sysctl);
	proto_get_strv(&r, &s->masked, PROTO_MAX_PATHS, PROTO_MAX_PATH);
	proto_get_strv(&r, &s->readonly, PROTO_MAX_PATHS, PROTO_MAX_PATH);
	proto_dec_devices(&r, s);
	s->cgroup = proto_dec_kvs(&r, &s->n_cgroup);
	proto_dec_seccomp(&r, &s->seccomp, !!(s->flags & PROTO_SPEC_SECCOMP));
	proto_dec_hooks(&r, s);
	proto_dec_net(&r, s);
	ret = proto_rd_end(&r);
	if (ret) {
		/* Nothing half-decoded stays reachable. */
		struct proto_arena a = s->arena;

		memset(s, 0, sizeof(*s));
		s->arena = a;
	}
	return ret;
}

void proto_spec_free(struct proto_spec *s)
{
	proto_arena_fini(&s->arena);
	memset(s, 0, sizeof(*s));
}

int proto_enc_exec(struct proto_buf *b, uint32_t id, const struct proto_exec *e)
{
	proto_begin(b, PROTO_EXEC, id);
	proto_put_u32(b, e->proc_id);
	proto_enc_process(b, &e->process);
	return proto_end(b);
}

int proto_dec_exec(const void *p, size_t n, struct proto_exec *e)
{
	struct proto_rd r;
	int ret;

	memset(e, 0, sizeof(*e));
	proto_rd_init(&r, p, n, &e->arena);
	e->proc_id = proto_get_u32(&r);
	proto_dec_process(&r, &e->process);
	ret = proto_rd_end(&r);
	if (ret) {
		struct proto_arena a = e->arena;

		memset(e, 0, sizeof(*e));
		e->arena = a;
	}
	return ret;
}

void proto_exec_free(struct proto_exec *e)
{
	proto_arena_fini(&e->arena);
	memset(e, 0, sizeof(*e));
}

int proto_enc_update(struct proto_buf *b, uint32_t id, const struct proto_update *u)
{
	proto_begin(b, PROTO_UPDATE, id);
	proto_enc_kvs(b, u->cgroup, u->n_cgroup);
	return proto_end(b);
}

int proto_dec_update(const void *p, size_t n, struct proto_update *u)
{
	struct proto_rd r;
	int ret;

	memset(u, 0, sizeof(*u));
	proto_rd_init(&r, p, n, &u->arena);
	u->cgroup = proto_dec_kvs(&r, &u->n_cgroup);
	ret = proto_rd_end(&r);
	if (ret) {
		u->n_cgroup = 0;
		u->cgroup = NULL;
	}
	return ret;
}

void proto_update_free(struct proto_update *u)
{
	proto_arena_fini(&u->arena);
	memset(u, 0, sizeof(*u));
}
