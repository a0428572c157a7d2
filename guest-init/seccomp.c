/* The OCI seccomp profile, argument conditions included, compiled and loaded with
 * libseccomp the way runc does it: syscalls this kernel does not know are
 * skipped, rules whose action is the default are skipped, and several conditions
 * on one argument become one rule each (libseccomp takes one per argument). */
#include <errno.h>
#include <ctype.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "guest-init/gi.h"

static uint32_t gi_scmp_action(uint32_t act, uint32_t ret)
{
	switch (act) {
	case PROTO_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case PROTO_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case PROTO_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case PROTO_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(ret);
	case PROTO_SCMP_TRACE:
		return SCMP_ACT_TRACE(ret);
	case PROTO_SCMP_LOG:
		return SCMP_ACT_LOG;
	default:
		return SCMP_ACT_ALLOW;
	}
}

static enum scmp_compare gi_scmp_op(uint32_t op)
{
	static const enum scmp_compare ops[] = {
		[PROTO_SCMP_NE] = SCMP_CMP_NE, [PROTO_SCMP_LT] = SCMP_CMP_LT,
		[PROTO_SCMP_LE] = SCMP_CMP_LE, [PROTO_SCMP_EQ] = SCMP_CMP_EQ,
		[PROTO_SCMP_GE] = SCMP_CMP_GE, [PROTO_SCMP_GT] = SCMP_CMP_GT,
		[PROTO_SCMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};

	return op < ARRAY_SIZE(ops) ? ops[op] : SCMP_CMP_EQ;
}

/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
static uint32_t gi_scmp_arch(const char *name)
{
	char lower[PROTO_MAX_NAME + 1];
	size_t i = 0;

	if (!strncmp(name, "SCMP_ARCH_", 10))
		name += 10;
	for (; name[i] && i < sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	lower[i] = 0;
	return seccomp_arch_resolve_name(lower);
}

static bool gi_same_arg_twice(const struct proto_scmp_rule *r)
{
	for (uint32_t i = 0; i < r->n_args; i++)
		for (uint32_t j = i + 1; j < r->n_args; j++)
			if (r->args[i].index == r->args[j].index)
				return true;
	return false;
}

static int gi_scmp_rule(scmp_filter_ctx ctx, const struct proto_scmp_rule *r, uint32_t act,
			int nr)
{
	struct scmp_arg_cmp cmp[PROTO_MAX_CONDS];
	int ret = 0;

	for (uint32_t i = 0; i < r->n_args; i++)
		cmp[i] = (struct scmp_arg_cmp){ .arg = r->args[i].index,
						.op = gi_scmp_op(r->args[i].op),
						.datum_a = r->args[i].value,
						.datum_b = r->args[i].value_two };
	if (!gi_same_arg_twice(r))
		return seccomp_rule_add_array(ctx, act, nr, r->n_args, cmp);
	for (uint32_t i = 0; !ret && i < r->n_args; i++)
		ret = seccomp_rule_add_array(ctx, act, nr, 1, &cmp[i]);
	return ret;
}

static int gi_scmp_build(scmp_filter_ctx ctx, const struct proto_seccomp *sc, uint32_t def,
			 struct gi_err *e)
{
	int ret;

	for (uint32_t i = 0; i < sc->archs.n; i++) {
		uint32_t arch = gi_scmp_arch(sc->archs.v[i]);

		if (!arch)
			return gi_fail(e, -EINVAL, "seccomp: unknown architecture %s", sc->archs.v[i]);
		ret = seccomp_arch_add(ctx, arch);
		if (ret && ret != -EEXIST)
			return gi_failerr(e, ret, "seccomp: architecture %s", sc->archs.v[i]);
	}
	for (uint32_t i = 0; i < sc->n_rules; i++) {
		const struct proto_scmp_rule *r = &sc->rules[i];
		uint32_t act = gi_scmp_action(r->action, r->ret);

		if (act == def)
			continue;
		for (uint32_t j = 0; j < r->names.n; j++) {
			int nr = seccomp_syscall_resolve_name(r->names.v[j]);

			if (nr == __NR_SCMP_ERROR)
				continue;
			ret = gi_scmp_rule(ctx, r, act, nr);
			if (ret)
				return gi_failerr(e, ret, "seccomp: rule for %s", r->names.v[j]);
		}
	}
	return 0;
}

int gi_seccomp_load(const struct proto_seccomp *sc, struct gi_err *e)
{
	uint32_t def = gi_scmp_action(sc->default_action, sc->default_ret);
	scmp_filter_ctx ctx = seccomp_init(def);
	int ret;

	if (!ctx)
		return gi_fail(e, -EINVAL, "seccomp: cannot create a filter");
	/* noNewPrivileges is the spec's choice, made in gi_child_run, not libseccomp's. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!ret && sc->flags & PROTO_SCMP_FLAG_LOG)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
	if (!ret && sc->flags & PROTO_SCMP_FLAG_SPEC_ALLOW)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
	if (ret)
		gi_failerr(e, ret, "seccomp: filter flags");
	else
		ret = gi_scmp_build(ctx, sc, def, e);
	if (!ret && (ret = seccomp_load(ctx)))
		gi_failerr(e, ret, "seccomp: load");
	seccomp_release(ctx);
	return ret;
}
