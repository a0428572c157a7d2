/* Unit tests of the agent protocol: framing, every message's round trip, the spec
 * translation round trip at the C-struct level, rejection of truncated, oversized
 * and wrong-version input, the stream helpers, the name tables, and the host-side
 * client against a scripted guest on a socketpair. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/agent_client.h"
#include "common/proto.h"
#include "common/util.h"
#include "tests/unit/tap.h"

static const char *args[] = { "sh", "-c", "echo hi" };
static const char *env[] = { "PATH=/usr/bin:/bin", "TERM=xterm", "" };
static uint32_t gids[] = { 10, 20, 1000 };
static struct proto_rlimit rlims[] = { { RLIMIT_NOFILE, 123, 456 }, { RLIMIT_CORE, 0, ~0ull } };
static const char *opts_proc[] = { "nosuid", "noexec", "nodev" };
static const char *opts_tmp[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
static struct proto_mount mounts[] = {
	{ "proc", "/proc", "proc", { 3, opts_proc } },
	{ "tmpfs", "/dev", "tmpfs", { 4, opts_tmp } },
	{ "/run/runvm/share/vol", "/data", "bind", { 0, NULL } },
};
static struct proto_kv sysctls[] = { { "net.ipv4.ip_forward", "1" }, { "kernel.msgmax", "8192" } };
static struct proto_kv cgroup[] = { { "memory.max", "67108864" } };
static const char *masked[] = { "/proc/kcore", "/proc/keys" };
static const char *ro[] = { "/proc/sys" };
static struct proto_device devs[] = {
	{ "/dev/fuse", 'c', 10, 229, 0666, 0, 0, PROTO_DEV_MODE },
	{ "/dev/loop0", 'b', 7, 0, 0660, 0, 6, PROTO_DEV_MODE | PROTO_DEV_GID },
};
static const char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" };
static const char *sc_names1[] = { "mkdir", "mkdirat" };
static const char *sc_names2[] = { "personality" };
static struct proto_scmp_arg sc_args[] = { { 0, PROTO_SCMP_EQ, 0xffffffff, 0 },
					   { 0, PROTO_SCMP_MASKED_EQ, 0xff, 8 } };
static struct proto_scmp_rule rules[] = {
	{ { 2, sc_names1 }, PROTO_SCMP_ERRNO, EPERM, 0, NULL },
	{ { 1, sc_names2 }, PROTO_SCMP_ALLOW, 0, 2, sc_args },
};

static const char *hook_args[] = { "hook", "--flag", "" };
static const char *hook_env[] = { "A=1" };
static struct proto_hook hooks[] = {
	{ "/bin/hook", { 3, hook_args }, { 1, hook_env }, 5 },
	{ "/usr/bin/other", { 0, NULL }, { 0, NULL }, 0 },
};
static const char hook_state[] = "{\"ociVersion\":\"1.1.0\",\"id\":\"c1\"}";

static void fill_process(struct proto_process *p)
{
	memset(p, 0, sizeof(*p));
	p->flags = PROTO_PROC_NNP | PROTO_PROC_CAPS | PROTO_PROC_OOM_SCORE | PROTO_PROC_UMASK;
	p->args = (struct proto_strv){ 3, args };
	p->env = (struct proto_strv){ 3, env };
	p->cwd = "/work";
	p->uid = 1000;
	p->gid = 1001;
	p->umask = 027;
	p->n_gids = 3;
	p->gids = gids;
	for (int i = 0; i < PROTO_CAP_NSETS; i++)
		p->caps[i] = 0x5555000000000001ull + (uint64_t)i;
	p->n_rlimits = 2;
	p->rlimits = rlims;
	p->oom_score_adj = -500;
	p->rows = 24;
	p->cols = 80;
	p->stdio[0] = 1025;
	p->stdio[1] = 1026;
	p->stdio[2] = 0;
	p->n_extra = 3;
	p->extra[0] = (struct proto_extra_fd){ PROTO_EXTRA_IN, 1040 };
	p->extra[1] = (struct proto_extra_fd){ PROTO_EXTRA_OUT, 1041 };
	p->extra[2] = (struct proto_extra_fd){ PROTO_EXTRA_BOTH, 0 };
}

static void fill_spec(struct proto_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->id = "c1";
	s->root_tag = "rootfs";
	s->root_path = "bundle/rootfs";
	s->flags = PROTO_SPEC_ROOT_RO | PROTO_SPEC_SECCOMP;
	s->namespaces = PROTO_NS_PID | PROTO_NS_UTS | PROTO_NS_IPC;
	s->hostname = "box";
	s->domainname = "example.org";
	fill_process(&s->process);
	s->n_mounts = 3;
	s->mounts = mounts;
	s->n_sysctl = 2;
	s->sysctl = sysctls;
	s->masked = (struct proto_strv){ 2, masked };
	s->readonly = (struct proto_strv){ 1, ro };
	s->n_devices = 2;
	s->devices = devs;
	s->n_cgroup = 1;
	s->cgroup = cgroup;
	s->seccomp.default_action = PROTO_SCMP_ALLOW;
	s->seccomp.flags = PROTO_SCMP_FLAG_LOG;
	s->seccomp.archs = (struct proto_strv){ 2, archs };
	s->seccomp.n_rules = 2;
	s->seccomp.rules = rules;
	s->n_hooks = 2;
	s->hooks = hooks;
	s->hook_state = hook_state;
}

static int strv_eq(const struct proto_strv *a, const struct proto_strv *b)
{
	if (a->n != b->n || (b->v && b->v[b->n]))
		return 0;
	for (uint32_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return 0;
	return 1;
}

static int process_eq(const struct proto_process *a, const struct proto_process *b)
{
	int eq = a->flags == b->flags && strv_eq(&a->args, &b->args) && strv_eq(&a->env, &b->env) &&
		 !strcmp(a->cwd, b->cwd) && a->uid == b->uid && a->gid == b->gid &&
		 a->umask == b->umask && a->n_gids == b->n_gids &&
		 !memcmp(a->caps, b->caps, sizeof(a->caps)) && a->n_rlimits == b->n_rlimits &&
		 a->oom_score_adj == b->oom_score_adj && a->rows == b->rows && a->cols == b->cols &&
		 !memcmp(a->stdio, b->stdio, sizeof(a->stdio)) && a->n_extra == b->n_extra &&
		 !memcmp(a->extra, b->extra, a->n_extra * sizeof(a->extra[0]));

	for (uint32_t i = 0; eq && i < a->n_gids; i++)
		eq = a->gids[i] == b->gids[i];
	for (uint32_t i = 0; eq && i < a->n_rlimits; i++)
		eq = !memcmp(&a->rlimits[i], &b->rlimits[i], sizeof(a->rlimits[i]));
	return eq;
}

static int kvs_eq(const struct proto_kv *a, const struct proto_kv *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(a[i].key, b[i].key) || strcmp(a[i].value, b[i].value))
			return 0;
	return 1;
}

static int seccomp_eq(const struct proto_seccomp *a, const struct proto_seccomp *b)
{
	int eq = a->default_action == b->default_action && a->default_ret == b->default_ret &&
		 a->flags == b->flags && strv_eq(&a->archs, &b->archs) && a->n_rules == b->n_rules;

	for (uint32_t i = 0; eq && i < a->n_rules; i++) {
		const struct proto_scmp_rule *x = &a->rules[i], *y = &b->rules[i];

		eq = strv_eq(&x->names, &y->names) && x->action == y->action && x->ret == y->ret &&
		     x->n_args == y->n_args;
		for (uint32_t j = 0; eq && j < x->n_args; j++)
			eq = !memcmp(&x->args[j], &y->args[j], sizeof(x->args[j]));
	}
	return eq;
}

static int spec_eq(const struct proto_spec *a, const struct proto_spec *b)
{
	int eq = !strcmp(a->id, b->id) && !strcmp(a->root_tag, b->root_tag) &&
		 !strcmp(a->root_path, b->root_path) && a->flags == b->flags &&
		 a->namespaces == b->namespaces && !strcmp(a->hostname, b->hostname) &&
		 !strcmp(a->domainname, b->domainname) && process_eq(&a->process, &b->process) &&
		 a->n_mounts == b->n_mounts && a->n_sysctl == b->n_sysctl &&
		 kvs_eq(a->sysctl, b->sysctl, a->n_sysctl) && strv_eq(&a->masked, &b->masked) &&
		 strv_eq(&a->readonly, &b->readonly) && a->n_devices == b->n_devices &&
		 a->n_cgroup == b->n_cgroup && kvs_eq(a->cgroup, b->cgroup, a->n_cgroup) &&
		 seccomp_eq(&a->seccomp, &b->seccomp) && a->n_hooks == b->n_hooks &&
		 !strcmp(a->hook_state ? a->hook_state : "", b->hook_state);

	for (uint32_t i = 0; eq && i < a->n_mounts; i++) {
		const struct proto_mount *x = &a->mounts[i], *y = &b->mounts[i];

		eq = !strcmp(x->source, y->source) && !strcmp(x->destination, y->destination) &&
		     !strcmp(x->type, y->type) && strv_eq(&x->options, &y->options);
	}
	for (uint32_t i = 0; eq && i < a->n_hooks; i++) {
		const struct proto_hook *x = &a->hooks[i], *y = &b->hooks[i];

		eq = !strcmp(x->path, y->path) && strv_eq(&x->args, &y->args) &&
		     strv_eq(&x->env, &y->env) && x->timeout == y->timeout;
	}
	for (uint32_t i = 0; eq && i < a->n_devices; i++) {
		const struct proto_device *x = &a->devices[i], *y = &b->devices[i];

		eq = !strcmp(x->path, y->path) && x->type == y->type && x->major == y->major &&
		     x->minor == y->minor && x->mode == y->mode && x->uid == y->uid &&
		     x->gid == y->gid && x->flags == y->flags;
	}
	return eq;
}

/* Encodes one message and checks its header; returns the payload. */
static const uint8_t *framed(struct proto_buf *b, uint16_t type, uint32_t id, uint32_t *len)
{
	struct proto_hdr h;
	int ret = proto_hdr_decode(b->data, b->len, &h);

	ok(!ret && h.type == type && h.id == id && h.version == PROTO_VERSION &&
		   h.len + PROTO_HDR_SIZE == b->len,
	   "message type %u is framed: header, version, id and length", type);
	*len = h.len;
	return b->data + PROTO_HDR_SIZE;
}

static void test_header(void)
{
	struct proto_buf b;
	struct proto_hdr h;
	uint8_t raw[PROTO_HDR_SIZE];
	uint32_t len;

	proto_buf_init(&b);
	is_int(proto_enc_empty(&b, PROTO_START, 77), 0, "START encodes");
	framed(&b, PROTO_START, 77, &len);
	is_int(len, 0, "START has an empty payload");
	is_int(proto_hdr_decode(b.data, PROTO_HDR_SIZE - 1, &h), -EAGAIN, "short header: need more");
	memcpy(raw, b.data, sizeof(raw));
	raw[4] = PROTO_VERSION + 1;
	is_int(proto_hdr_decode(raw, sizeof(raw), &h), -EPROTO, "wrong version is refused");
	memcpy(raw, b.data, sizeof(raw));
	raw[0] = 1;
	raw[2] = (PROTO_MAX_PAYLOAD >> 16) & 0xff;
	is_int(proto_hdr_decode(raw, sizeof(raw), &h), -EMSGSIZE, "payload over the maximum is refused");
	raw[0] = 0;
	is_int(proto_hdr_decode(raw, sizeof(raw), &h), 0, "payload of exactly the maximum is fine");
	proto_buf_fini(&b);
}

static void test_small_messages(void)
{
	struct proto_buf b;
	struct proto_hello hi = { .uptime_ns = 123456789012ull, .version = "0.1.0" }, hi2;
	struct proto_result r = { .err = -ENOENT, .pid = 42, .uptime_ns = 99, .msg = "exec: \"x\": nope" };
	struct proto_result r2;
	struct proto_signal s = { 3, SIGKILL, PROTO_SIGNAL_ALL }, s2;
	struct proto_resize rs = { 5, 50, 132 }, rs2;
	struct proto_exit e = { 0, 7, 1, 9 }, e2;
	struct proto_oom o = { 3 }, o2;
	uint32_t pids[] = { 1, 22, 333 }, got[8], n = 0, len;
	const uint8_t *p;

	proto_buf_init(&b);
	proto_enc_hello(&b, &hi);
	p = framed(&b, PROTO_HELLO, 0, &len);
	ok(!proto_dec_hello(p, len, &hi2) && hi2.uptime_ns == hi.uptime_ns &&
		   !strcmp(hi2.version, "0.1.0"), "HELLO round trip");
	proto_buf_reset(&b);
	proto_enc_result(&b, PROTO_RESULT, 9, &r);
	p = framed(&b, PROTO_RESULT, 9, &len);
	ok(!proto_dec_result(p, len, &r2) && r2.err == -ENOENT && r2.pid == 42 &&
		   r2.uptime_ns == 99 && !strcmp(r2.msg, r.msg), "RESULT round trip");
	proto_buf_reset(&b);
	proto_enc_signal(&b, 4, &s);
	p = framed(&b, PROTO_SIGNAL, 4, &len);
	ok(!proto_dec_signal(p, len, &s2) && !memcmp(&s, &s2, sizeof(s)), "SIGNAL round trip");
	proto_buf_reset(&b);
	proto_enc_resize(&b, 5, &rs);
	p = framed(&b, PROTO_RESIZE, 5, &len);
	ok(!proto_dec_resize(p, len, &rs2) && !memcmp(&rs, &rs2, sizeof(rs)), "RESIZE round trip");
	proto_buf_reset(&b);
	proto_enc_exit(&b, &e);
	p = framed(&b, PROTO_EXIT, 0, &len);
	ok(!proto_dec_exit(p, len, &e2) && !memcmp(&e, &e2, sizeof(e)), "EXIT round trip");
	is_int(proto_exit_status(&e2), 137, "a SIGKILL exit is status 137");
	proto_buf_reset(&b);
	proto_enc_oom(&b, &o);
	p = framed(&b, PROTO_OOM, 0, &len);
	ok(!proto_dec_oom(p, len, &o2) && o2.count == 3, "OOM round trip");
	proto_buf_reset(&b);
	proto_enc_ps_result(&b, 6, pids, 3);
	p = framed(&b, PROTO_PS_RESULT, 6, &len);
	ok(!proto_dec_ps_result(p, len, got, 8, &n) && n == 3 && got[2] == 333, "PS_RESULT round trip");
	ok(!proto_dec_ps_result(p, len, got, 2, &n) && n == 3 && got[1] == 22,
	   "PS_RESULT into a short array stores what fits and counts all");
	proto_buf_fini(&b);
}

static void test_bad_small(void)
{
	struct proto_buf b;
	struct proto_signal s = { 0, 99, 0 }, s2;
	struct proto_exit e = { 0, 7, 0, 300 }, e2;
	struct proto_result r = { .err = 5 }, r2;
	uint32_t len;
	const uint8_t *p;

	proto_buf_init(&b);
	proto_enc_signal(&b, 1, &s);
	p = framed(&b, PROTO_SIGNAL, 1, &len);
	ok(proto_dec_signal(p, len, &s2) < 0, "a signal number over 64 is refused");
	proto_buf_reset(&b);
	proto_enc_exit(&b, &e);
	p = framed(&b, PROTO_EXIT, 0, &len);
	ok(proto_dec_exit(p, len, &e2) < 0, "an exit code over 255 is refused");
	proto_buf_reset(&b);
	proto_enc_result(&b, PROTO_RESULT, 1, &r);
	p = framed(&b, PROTO_RESULT, 1, &len);
	ok(proto_dec_result(p, len, &r2) < 0, "a positive error in a RESULT is refused");
	ok(proto_dec_hello(p, 3, &(struct proto_hello){ 0 }) == -EBADMSG, "a truncated HELLO is refused");
	proto_buf_fini(&b);
}

static void test_spec(void)
{
	struct proto_spec s, d;
	struct proto_buf b;
	uint32_t len;
	const uint8_t *p;
	int bad = 0;

	fill_spec(&s);
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 11, &s), 0, "a full spec encodes");
	p = framed(&b, PROTO_CREATE, 11, &len);
	is_int(proto_dec_spec(p, len, &d), 0, "and decodes");
	ok(spec_eq(&s, &d), "spec translation: every field survives the round trip");
	ok(d.process.args.v[3] == NULL && d.process.env.v[3] == NULL, "argv and envp end in NULL");
	proto_spec_free(&d);
	for (uint32_t cut = 0; cut < len; cut++) {
		if (!proto_dec_spec(p, cut, &d))
			bad++;
		proto_spec_free(&d);
	}
	is_int(bad, 0, "every truncation of the spec (%u of them) is refused", len);
	{
		uint8_t *more = calloc(1, len + 1);

		memcpy(more, p, len);
		ok(proto_dec_spec(more, len + 1, &d) == -EBADMSG, "a trailing byte is refused");
		proto_spec_free(&d);
		free(more);
	}
	proto_buf_fini(&b);

	/* An empty spec (every list empty) round-trips too. */
	memset(&s, 0, sizeof(s));
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 1, &s), 0, "an empty spec encodes");
	p = framed(&b, PROTO_CREATE, 1, &len);
	ok(!proto_dec_spec(p, len, &d) && !strcmp(d.id, "") && d.process.args.n == 0 &&
		   d.process.args.v && !d.process.args.v[0], "and decodes to empty strings and lists");
	proto_spec_free(&d);
	proto_buf_fini(&b);
}

/* Encodes s, then decodes it: the decoder's answer. */
static int spec_trip(const struct proto_spec *s)
{
	struct proto_spec d;
	struct proto_buf b;
	uint32_t len;
	const uint8_t *p;
	int ret;

	proto_buf_init(&b);
	ret = proto_enc_spec(&b, 1, s);
	if (!ret) {
		p = framed(&b, PROTO_CREATE, 1, &len);
		ret = proto_dec_spec(p, len, &d);
		proto_spec_free(&d);
	}
	proto_buf_fini(&b);
	return ret;
}

static void test_hooks(void)
{
	struct proto_spec s, d;
	struct proto_hook rel = { "bin/hook", { 0, NULL }, { 0, NULL }, 0 };
	struct proto_buf b;
	uint32_t len;
	const uint8_t *p;

	fill_spec(&s);
	proto_buf_init(&b);
	proto_enc_spec(&b, 3, &s);
	p = framed(&b, PROTO_CREATE, 3, &len);
	ok(!proto_dec_spec(p, len, &d) && d.n_hooks == 2 && !strcmp(d.hooks[0].path, "/bin/hook") &&
		   d.hooks[0].timeout == 5 && d.hooks[0].args.v[3] == NULL &&
		   !strcmp(d.hooks[0].args.v[2], "") && d.hooks[1].args.n == 0 &&
		   d.hooks[1].env.v && !d.hooks[1].env.v[0] && !strcmp(d.hook_state, hook_state),
	   "startContainer hooks: path, args, env, timeout and state survive");
	proto_spec_free(&d);
	/* The hooks are the message's tail: cut inside them. */
	is_int(proto_dec_spec(p, len - 1, &d), -EBADMSG, "a spec cut inside its state is refused");
	proto_spec_free(&d);
	is_int(proto_dec_spec(p, len - 40, &d), -EBADMSG, "a spec cut inside its hooks is refused");
	proto_spec_free(&d);
	proto_buf_fini(&b);

	s.hook_state = "";
	is_int(spec_trip(&s), -EINVAL, "hooks without a state are refused by the encoder");
	s.hook_state = "[1]";
	is_int(spec_trip(&s), -EINVAL, "a state that is not an object is refused");
	s.hook_state = hook_state;
	s.hooks = &rel;
	s.n_hooks = 1;
	is_int(spec_trip(&s), -EINVAL, "a relative hook path is refused");
	s.n_hooks = PROTO_MAX_HOOKS + 1;
	is_int(spec_trip(&s), -E2BIG, "more than PROTO_MAX_HOOKS hooks are refused");
	s.n_hooks = 0;
	s.hook_state = NULL;
	is_int(spec_trip(&s), 0, "no hooks, no state");
	s.hook_state = hook_state;
	is_int(spec_trip(&s), 0, "a state without hooks is harmless");
}

/* The decoder alone, on a payload with a relative hook path written by hand. */
static void test_hooks_decoder(void)
{
	struct proto_spec s, d;
	struct proto_buf b;
	uint32_t len;
	uint8_t *p;
	int at = -1;

	memset(&s, 0, sizeof(s));
	s.n_hooks = 1;
	s.hooks = hooks;
	s.hook_state = "{}";
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 1, &s), 0, "a spec with one hook and an empty state encodes");
	p = (uint8_t *)framed(&b, PROTO_CREATE, 1, &len);
	for (uint32_t i = 0; i + 9 <= len; i++)
		if (!memcmp(p + i, "/bin/hook", 9))
			at = (int)i;
	ok(at > 0, "the hook's path is in the payload");
	if (at > 0) {
		p[at] = 'x';
		is_int(proto_dec_spec(p, len, &d), -EINVAL, "the decoder refuses a relative hook path");
		proto_spec_free(&d);
	}
	proto_buf_fini(&b);
}

static void test_update(void)
{
	struct proto_kv kv[] = { { "memory.max", "67108864" }, { "pids.max", "20" } };
	struct proto_update u = { .n_cgroup = 2, .cgroup = kv }, d;
	struct proto_buf b;
	uint32_t len, bad = 0;
	const uint8_t *p;

	proto_buf_init(&b);
	is_int(proto_enc_update(&b, 9, &u), 0, "UPDATE encodes");
	p = framed(&b, PROTO_UPDATE, 9, &len);
	ok(!proto_dec_update(p, len, &d) && d.n_cgroup == 2 && !strcmp(d.cgroup[0].key, "memory.max") &&
		   !strcmp(d.cgroup[1].value, "20"), "UPDATE round trip");
	proto_update_free(&d);
	for (uint32_t cut = 0; cut < len; cut++) {
		bad += proto_dec_update(p, cut, &d) == 0;
		proto_update_free(&d);
	}
	is_int(bad, 0, "every truncation of UPDATE is refused");
	proto_buf_fini(&b);
	u.n_cgroup = PROTO_MAX_KV + 1;
	proto_buf_init(&b);
	is_int(proto_enc_update(&b, 9, &u), -E2BIG, "UPDATE over PROTO_MAX_KV files is refused");
	proto_buf_fini(&b);
}

static void test_exec(void)
{
	struct proto_exec e = { .proc_id = 5 }, d;
	struct proto_buf b;
	uint32_t len;
	const uint8_t *p;

	fill_process(&e.process);
	e.process.flags |= PROTO_PROC_TERMINAL;
	proto_buf_init(&b);
	is_int(proto_enc_exec(&b, 12, &e), 0, "EXEC encodes");
	p = framed(&b, PROTO_EXEC, 12, &len);
	ok(!proto_dec_exec(p, len, &d) && d.proc_id == 5 && process_eq(&e.process, &d.process),
	   "EXEC round trip");
	proto_exec_free(&d);
	ok(proto_dec_exec(p, len - 1, &d) == -EBADMSG, "a truncated EXEC is refused");
	proto_exec_free(&d);
	proto_buf_fini(&b);
}

/* --preserve-fds: the extra fds are the tail of a process, so of an EXEC. */
static void test_extra_fds(void)
{
	struct proto_exec e = { .proc_id = 5 }, d;
	struct proto_buf b;
	uint32_t len, n;
	uint8_t *p;

	memset(&e.process, 0, sizeof(e.process));
	e.process.n_extra = PROTO_MAX_EXTRA_FDS;
	for (uint32_t i = 0; i < PROTO_MAX_EXTRA_FDS; i++)
		e.process.extra[i] = (struct proto_extra_fd){ PROTO_EXTRA_IN + i % 3, 1040 + i };
	proto_buf_init(&b);
	is_int(proto_enc_exec(&b, 1, &e), 0, "PROTO_MAX_EXTRA_FDS extra fds encode");
	p = (uint8_t *)framed(&b, PROTO_EXEC, 1, &len);
	ok(!proto_dec_exec(p, len, &d) && d.process.n_extra == PROTO_MAX_EXTRA_FDS &&
		   d.process.extra[15].dir == PROTO_EXTRA_IN &&
		   d.process.extra[15].port == 1055 && d.process.extra[1].dir == PROTO_EXTRA_OUT,
	   "and decode: every direction and port in order");
	proto_exec_free(&d);
	proto_buf_fini(&b);

	e.process.n_extra = PROTO_MAX_EXTRA_FDS + 1;
	proto_buf_init(&b);
	is_int(proto_enc_exec(&b, 1, &e), -E2BIG, "the encoder refuses more than PROTO_MAX_EXTRA_FDS");
	is_int(b.len, 0, "and leaves no message behind");
	e.process.n_extra = 2;
	e.process.extra[1].dir = 0;
	is_int(proto_enc_exec(&b, 1, &e), -EINVAL, "the encoder refuses direction 0");
	e.process.extra[1].dir = PROTO_EXTRA_BOTH + 1;
	is_int(proto_enc_exec(&b, 1, &e), -EINVAL, "the encoder refuses an unknown direction");
	e.process.extra[1].dir = PROTO_EXTRA_OUT;
	is_int(proto_enc_exec(&b, 1, &e), 0, "two extra fds encode");
	p = (uint8_t *)framed(&b, PROTO_EXEC, 1, &len);
	/* The tail: u32 count, then (dir, port) twice. */
	n = len - 4 - 2 * 8;
	ok(p[n] == 2 && p[n + 4] == PROTO_EXTRA_IN && p[n + 12] == PROTO_EXTRA_OUT,
	   "the count and the directions are where the format says");
	p[n] = PROTO_MAX_EXTRA_FDS + 1;
	is_int(proto_dec_exec(p, len, &d), -E2BIG, "the decoder refuses a count over the bound");
	proto_exec_free(&d);
	p[n] = 3;
	is_int(proto_dec_exec(p, len, &d), -EBADMSG, "a count the message cannot hold is refused");
	proto_exec_free(&d);
	p[n] = 2;
	p[n + 12] = PROTO_EXTRA_BOTH + 1;
	is_int(proto_dec_exec(p, len, &d), -EINVAL, "the decoder refuses an unknown direction");
	ok(d.process.n_extra == 0, "and leaves no extra fds behind");
	proto_exec_free(&d);
	p[n + 12] = 0;
	is_int(proto_dec_exec(p, len, &d), -EINVAL, "the decoder refuses direction 0");
	proto_exec_free(&d);
	p[n + 12] = PROTO_EXTRA_BOTH;
	ok(!proto_dec_exec(p, len, &d) && d.process.extra[1].dir == PROTO_EXTRA_BOTH,
	   "the patched message is fine again with a valid direction");
	proto_exec_free(&d);
	proto_buf_fini(&b);
}

/* Payloads built by hand, to reach what no encoder produces. */
static void test_oversized(void)
{
	struct proto_buf b;
	struct proto_spec s, d;
	char *big = malloc(PROTO_MAX_ARG + 2);
	const char *bigv[40];
	uint8_t payload[64];
	struct proto_rd r;
	struct proto_arena a = { 0 };

	memset(big, 'x', PROTO_MAX_ARG + 1);
	big[PROTO_MAX_ARG + 1] = 0;
	fill_spec(&s);
	s.process.args = (struct proto_strv){ 1, (const char **)&big };
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 1, &s), -E2BIG, "the encoder refuses a string over its bound");
	is_int(b.len, 0, "and leaves no partial message behind");
	big[PROTO_MAX_ARG] = 0;
	for (int i = 0; i < 40; i++)
		bigv[i] = big;
	s.process.args = (struct proto_strv){ 40, bigv };
	is_int(proto_enc_spec(&b, 1, &s), -EMSGSIZE, "the encoder refuses a message over 4 MiB");
	proto_buf_fini(&b);
	free(big);

	/* A string length over the bound, with nothing behind it. */
	memset(payload, 0, sizeof(payload));
	payload[0] = 0xff;
	payload[1] = 0xff;
	is_int(proto_dec_spec(payload, sizeof(payload), &d), -E2BIG, "an id longer than its bound is refused");
	proto_spec_free(&d);
	/* A list count a small message cannot hold is refused before any allocation. */
	proto_rd_init(&r, (const uint8_t[]){ 0x00, 0x10, 0, 0, 1, 2, 3, 4 }, 8, &a);
	proto_get_count(&r, PROTO_MAX_ARGS, 4);
	is_int(r.err, -EBADMSG, "a count larger than the bytes left is refused");
	proto_rd_init(&r, (const uint8_t[]){ 0x01, 0x10, 0, 0 }, 4, &a);
	proto_get_count(&r, PROTO_MAX_ARGS, 0);
	is_int(r.err, -E2BIG, "a count over its bound is refused");
	proto_rd_init(&r, (const uint8_t[]){ 3, 0, 0, 0, 'a', 0, 'b' }, 7, &a);
	proto_get_str(&r, 16);
	is_int(r.err, -EBADMSG, "a NUL inside a string is refused");
	proto_arena_fini(&a);
}

static void test_bad_values(void)
{
	struct proto_spec s, d;
	struct proto_buf b;
	struct proto_scmp_arg arg = { 6, PROTO_SCMP_EQ, 0, 0 };
	struct proto_scmp_rule rule = { { 1, sc_names2 }, PROTO_SCMP_ERRNO, 1, 1, &arg };
	uint32_t len;
	const uint8_t *p;

	fill_spec(&s);
	s.seccomp.n_rules = 1;
	s.seccomp.rules = &rule;
	proto_buf_init(&b);
	proto_enc_spec(&b, 1, &s);
	p = framed(&b, PROTO_CREATE, 1, &len);
	is_int(proto_dec_spec(p, len, &d), -EINVAL, "a seccomp condition on argument 6 is refused");
	proto_spec_free(&d);
	proto_buf_fini(&b);
	fill_spec(&s);
	s.flags = 0x80;
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 1, &s), -EINVAL, "unknown spec flags are refused by the encoder");
	proto_buf_fini(&b);
}

static void test_stream(void)
{
	struct proto_buf b;
	struct proto_rx rx;
	struct proto_hdr h;
	const uint8_t *p;
	uint8_t *payload;
	int sv[2], got = 0, ret = 0;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	proto_buf_init(&b);
	proto_enc_empty(&b, PROTO_START, 1);
	proto_enc_signal(&b, 2, &(struct proto_signal){ 0, 15, 0 });
	/* Byte by byte: the receive buffer must assemble whole messages. */
	for (size_t i = 0; i < b.len; i++)
		(void)!write(sv[0], b.data + i, 1);
	proto_rx_init(&rx);
	while (got < 2 && ret >= 0) {
		ret = proto_rx_read(&rx, sv[1]);
		while (ret >= 0 && (ret = proto_rx_next(&rx, &h, &p)) == 1)
			got += h.id == (uint32_t)got + 1;
	}
	is_int(got, 2, "the receive buffer yields both messages from a trickle");
	proto_rx_fini(&rx);

	is_int(proto_send(sv[0], &b), 0, "proto_send writes the buffer");
	is_int(b.len, 0, "and empties it");
	ok(!proto_recv(sv[1], &h, &payload) && h.type == PROTO_START, "proto_recv reads the first");
	free(payload);
	ok(!proto_recv(sv[1], &h, &payload) && h.type == PROTO_SIGNAL && h.len == 12, "and the second");
	free(payload);
	(void)!write(sv[0], "\x08\0\0\0", 4);
	shutdown(sv[0], SHUT_WR);
	is_int(proto_recv(sv[1], &h, &payload), -EBADMSG, "EOF inside a header is a truncated message");
	is_int(proto_recv(sv[1], &h, &payload), -ESHUTDOWN, "EOF between messages is a clean end");
	proto_buf_fini(&b);
	close(sv[0]);
	close(sv[1]);
}

static void test_names(void)
{
	char path[200];

	is_int(proto_cap_from_name("CAP_CHOWN"), 0, "CAP_CHOWN is 0");
	is_int(proto_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40, "CAP_CHECKPOINT_RESTORE is 40");
	is_str(proto_cap_name(21), "CAP_SYS_ADMIN", "capability 21 is CAP_SYS_ADMIN");
	is_int(proto_cap_from_name("CAP_NOPE"), -EINVAL, "unknown capabilities are refused");
	is_int(proto_rlimit_from_name("RLIMIT_NOFILE"), RLIMIT_NOFILE, "RLIMIT_NOFILE");
	is_int(proto_scmp_act_from_name("SCMP_ACT_KILL"), PROTO_SCMP_KILL_THREAD, "SCMP_ACT_KILL is KILL_THREAD");
	is_int(proto_scmp_op_from_name("SCMP_CMP_MASKED_EQ"), PROTO_SCMP_MASKED_EQ, "SCMP_CMP_MASKED_EQ");
	is_int(proto_ns_from_name("network"), PROTO_NS_NET, "the network namespace");
	is_int(proto_ns_from_name("user"), -EINVAL, "no user namespaces in a guest");
	ok(!proto_port_path(path, sizeof(path), "/run/x/v.sock", 1024) &&
		   !strcmp(path, "/run/x/v.sock_1024"), "a guest port's Unix socket is <uds>_<port>");
	memset(path, 'a', 150);
	path[150] = 0;
	is_int(proto_port_path((char[300]){ 0 }, 300, path, 1), -ENAMETOOLONG,
	       "a socket path longer than sun_path is refused");
}

/* A scripted guest: HELLO, then for CREATE an EXIT event before the RESULT. */
static void fake_guest(int fd)
{
	struct proto_buf b;
	struct proto_hdr h;
	uint8_t *p;
	struct proto_spec s;
	struct proto_result r = { .pid = 7 };

	proto_buf_init(&b);
	proto_enc_hello(&b, &(struct proto_hello){ .uptime_ns = 5, .version = "t" });
	proto_send(fd, &b);
	if (proto_recv(fd, &h, &p) || h.type != PROTO_CREATE || proto_dec_spec(p, h.len, &s))
		_exit(1);
	snprintf(r.msg, sizeof(r.msg), "created %s", s.id);
	proto_spec_free(&s);
	free(p);
	proto_enc_exit(&b, &(struct proto_exit){ 3, 70, 0, 4 });
	proto_enc_result(&b, PROTO_RESULT, h.id, &r);
	proto_send(fd, &b);
	proto_buf_fini(&b);
	_exit(0);
}

static void test_client(void)
{
	struct agent_conn c;
	struct agent_event ev;
	struct proto_result res;
	struct proto_spec s;
	int sv[2], st;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fake_guest(sv[1]);
	}
	close(sv[1]);
	ok(!agent_open(&c, sv[0], 5000, NULL) && c.hello.uptime_ns == 5, "the client takes the HELLO");
	fill_spec(&s);
	ok(!agent_create(&c, &s, &res) && res.err == 0 && res.pid == 7 && !strcmp(res.msg, "created c1"),
	   "the client gets CREATE's result");
	ok(!agent_next_event(&c, 0, &ev) && ev.type == PROTO_EXIT && ev.exit.proc_id == 3 &&
		   ev.exit.code == 4, "an event that came before the result is queued for later");
	is_int(agent_next_event(&c, 5000, &ev), -ESHUTDOWN, "the guest's close is seen");
	agent_close(&c);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the scripted guest saw what it expected");
}

/* A guest that begins a message and stalls: the client gives up on time. */
static void test_client_stall(void)
{
	struct agent_conn c;
	struct agent_event ev;
	struct proto_buf b;
	uint64_t t0;
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	proto_buf_init(&b);
	proto_enc_hello(&b, &(struct proto_hello){ .uptime_ns = 5, .version = "t" });
	proto_send(sv[1], &b);
	ok(!agent_open(&c, sv[0], 5000, NULL), "stall: the HELLO is taken");
	c.msg_timeout_ms = 200;
	proto_enc_exit(&b, &(struct proto_exit){ 3, 70, 0, 4 });
	ok(write(sv[1], b.data, 5) == 5, "stall: 5 bytes of a header are sent");
	t0 = util_now_ns();
	is_int(agent_next_event(&c, 5000, &ev), -ETIMEDOUT, "stall: half a header times out");
	ok(util_now_ns() - t0 < 3000000000ull, "stall: within the message timeout");
	/* The 5 bytes went with the failed read: a whole header comes next. */
	ok(write(sv[1], b.data, PROTO_HDR_SIZE) == PROTO_HDR_SIZE, "stall: a header, no payload");
	c.msg_timeout_ms = 200;
	is_int(agent_next_event(&c, 5000, &ev), -ETIMEDOUT, "stall: a missing payload times out");
	close(sv[1]);
	proto_buf_fini(&b);
	agent_close(&c);
}

/* The network part (protocol 3): interfaces, addresses and routes survive; what
 * the guest could not make sense of is refused both ways. */
static struct proto_ip net_addrs[2] = {
	{ PROTO_IP4, 16, { 10, 88, 0, 5 } },
	{ PROTO_IP6, 64, { 0xfd, 0x88, [15] = 5 } },
};
static struct proto_netif net_ifs[2] = {
	{ "eth0", { 2, 0x42, 10, 88, 0, 5 }, 1500, 2, net_addrs },
	{ "eth1", { 2, 0x42, 10, 88, 0, 6 }, 9000, 0, NULL },
};
static struct proto_route net_routes[2] = {
	{ 0, PROTO_IP4, 0, 0, PROTO_ROUTE_GW, { 0 }, { 10, 88, 0, 1 }, 100 },
	{ 1, PROTO_IP6, 48, 253, PROTO_ROUTE_ONLINK, { 0xfd, 0x99 }, { 0 }, 0 },
};

static void test_net(void)
{
	struct proto_spec s, d;
	struct proto_buf b;
	uint32_t len;
	const uint8_t *p;

	memset(&s, 0, sizeof(s));
	s.netifs = net_ifs;
	s.n_netifs = 2;
	s.routes = net_routes;
	s.n_routes = 2;
	proto_buf_init(&b);
	is_int(proto_enc_spec(&b, 1, &s), 0, "a spec with two interfaces and two routes encodes");
	p = framed(&b, PROTO_CREATE, 1, &len);
	ok(!proto_dec_spec(p, len, &d) && d.n_netifs == 2 && !strcmp(d.netifs[0].name, "eth0") &&
	   !memcmp(d.netifs[1].mac, net_ifs[1].mac, 6) && d.netifs[1].mtu == 9000 &&
	   d.netifs[0].n_addrs == 2 && !memcmp(&d.netifs[0].addrs[1], &net_addrs[1], sizeof(net_addrs[1])) &&
	   d.netifs[1].n_addrs == 0 && d.n_routes == 2 &&
	   !memcmp(&d.routes[0], &net_routes[0], sizeof(net_routes[0])) &&
	   !memcmp(&d.routes[1], &net_routes[1], sizeof(net_routes[1])),
	   "interfaces, MACs, MTUs, addresses and routes survive");
	proto_spec_free(&d);
	is_int(proto_dec_spec(p, len - 1, &d), -EBADMSG, "a spec cut inside its routes is refused");
	proto_spec_free(&d);
	proto_buf_fini(&b);

	net_addrs[0].prefix = 33;
	is_int(spec_trip(&s), -EINVAL, "an IPv4 prefix over 32 is refused");
	net_addrs[0].prefix = 16;
	net_addrs[1].family = 5;
	is_int(spec_trip(&s), -EINVAL, "an address family other than 4 and 6 is refused");
	net_addrs[1].family = PROTO_IP6;
	net_routes[1].netif = 2;
	is_int(spec_trip(&s), -EINVAL, "a route through an interface that is not there is refused");
	net_routes[1].netif = 1;
	net_routes[1].flags = 0x80;
	is_int(spec_trip(&s), -EINVAL, "unknown route flags are refused");
	net_routes[1].flags = PROTO_ROUTE_ONLINK;
	net_ifs[1].name = "a-name-of-16-chr";
	is_int(spec_trip(&s), -E2BIG, "an interface name over 15 bytes is refused");
	net_ifs[1].name = "";
	is_int(spec_trip(&s), -EINVAL, "an empty interface name is refused");
	net_ifs[1].name = "eth1";
	s.n_netifs = PROTO_MAX_NETIFS + 1;
	is_int(spec_trip(&s), -E2BIG, "more than PROTO_MAX_NETIFS interfaces are refused");
	s.n_netifs = 2;
	is_int(spec_trip(&s), 0, "and the spec is good again");
}

/* The decoder alone: a route naming a missing interface, written by hand. */
static void test_net_decoder(void)
{
	struct proto_spec s, d;
	struct proto_buf b;
	uint32_t len;
	uint8_t *p;

	memset(&s, 0, sizeof(s));
	s.netifs = net_ifs;
	s.n_netifs = 1;
	s.routes = net_routes;
	s.n_routes = 1;
	proto_buf_init(&b);
	proto_enc_spec(&b, 1, &s);
	p = (uint8_t *)framed(&b, PROTO_CREATE, 1, &len);
	/* The route's netif index is 44 bytes before the end. */
	p[len - 44] = 1;
	is_int(proto_dec_spec(p, len, &d), -EINVAL, "decoder: a route to interface 1 of 1 is refused");
	proto_spec_free(&d);
	p[len - 44] = 0;
	p[len - 40] = 6;
	p[len - 39] = 129;
	is_int(proto_dec_spec(p, len, &d), -EINVAL, "decoder: an IPv6 route with a /129 is refused");
	proto_spec_free(&d);
	proto_buf_fini(&b);
}

int main(void)
{
	test_header();
	test_small_messages();
	test_bad_small();
	test_spec();
	test_exec();
	test_extra_fds();
	test_hooks();
	test_hooks_decoder();
	test_net();
	test_net_decoder();
	test_update();
	test_client_stall();
	test_oversized();
	test_bad_values();
	test_stream();
	test_names();
	test_client();
	return tap_done();
}
