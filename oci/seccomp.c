/* linux.seccomp: the profile is checked here (names of actions, operators and
 * architectures, argument indexes) so that the guest gets one it can load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "oci/config.h"

static int sc_name(yajl_val obj, const char *key, const char *path, bool required,
		   const char *const *allowed, const char *what, char **out, struct rt_err *err)
{
	int r = oci_j_str(obj, key, path, out, err);

	if (r < 0)
		return r;
	if (r == 0)
		return required ? oci_j_missing(path, key, err) : 0;
	if (!oci_name_in(allowed, *out))
		return rt_err_set(err, EINVAL, "%s.%s: unknown seccomp %s \"%s\"", path, key, what,
				  *out);
	return 0;
}

static int sc_arg(yajl_val v, const char *path, struct oci_seccomp_arg *a, struct rt_err *err)
{
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_u32(v, "index", path, &a->index, err);
	if (r == 0)
		return oci_j_missing(path, "index", err);
	if (r < 0)
		return r;
	if (a->index > 5)
		return rt_err_set(err, EINVAL, "%s.index: expected 0 to 5", path);
	r = oci_j_u64(v, "value", path, UINT64_MAX, &a->value, err);
	if (r == 0)
		return oci_j_missing(path, "value", err);
	if (r < 0)
		return r;
	if (oci_j_u64(v, "valueTwo", path, UINT64_MAX, &a->value_two, err) < 0)
		return -EINVAL;
	return sc_name(v, "op", path, true, oci_seccomp_ops, "operator", &a->op, err);
}

static int sc_syscall(yajl_val v, const char *path, struct oci_seccomp_syscall *s,
		      struct rt_err *err)
{
	char ap[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	r = oci_j_strv(v, "names", path, &s->names, err);
	if (r < 0)
		return r;
	if (r == 0 || s->names.n == 0)
		return rt_err_set(err, EINVAL, "%s.names: expected at least one syscall name",
				  path);
	if (sc_name(v, "action", path, true, oci_seccomp_actions, "action", &s->action, err) < 0)
		return -EINVAL;
	r = oci_j_u32(v, "errnoRet", path, &s->errno_ret, err);
	if (r < 0)
		return r;
	s->has_errno_ret = r;
	r = oci_j_each(v, "args", path, &items, &n, err);
	if (r <= 0)
		return r;
	s->args = calloc(n ? n : 1, sizeof(*s->args));
	if (!s->args)
		return rt_err_set(err, ENOMEM, "out of memory");
	oci_jpath(ap, sizeof(ap), path, "args");
	for (size_t i = 0; i < n; i++) {
		s->n_args = i + 1;
		oci_jpath_idx(ip, sizeof(ip), ap, i);
		r = sc_arg(items[i], ip, &s->args[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int sc_syscalls(yajl_val v, const char *path, struct oci_seccomp *s, struct rt_err *err)
{
	char sp[OCI_JPATH_MAX], ip[OCI_JPATH_MAX];
	yajl_val *items;
	size_t n;
	int r;

	r = oci_j_each(v, "syscalls", path, &items, &n, err);
	if (r <= 0)
		return r;
	s->syscalls = calloc(n ? n : 1, sizeof(*s->syscalls));
	if (!s->syscalls)
		return rt_err_set(err, ENOMEM, "out of memory");
	oci_jpath(sp, sizeof(sp), path, "syscalls");
	for (size_t i = 0; i < n; i++) {
		s->n_syscalls = i + 1;
		oci_jpath_idx(ip, sizeof(ip), sp, i);
		r = sc_syscall(items[i], ip, &s->syscalls[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int oci_parse_seccomp(yajl_val v, const char *path, struct oci_seccomp *s, struct rt_err *err)
{
	int r;

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object", path);
	if (sc_name(v, "defaultAction", path, true, oci_seccomp_actions, "action",
		    &s->default_action, err) < 0)
		return -EINVAL;
	r = oci_j_u32(v, "defaultErrnoRet", path, &s->default_errno_ret, err);
	if (r < 0)
		return r;
	s->has_default_errno_ret = r;
	if (oci_j_strv(v, "architectures", path, &s->architectures, err) < 0 ||
	    oci_j_strv(v, "flags", path, &s->flags, err) < 0 ||
	    oci_j_str(v, "listenerPath", path, &s->listener_path, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < s->architectures.n; i++)
		if (!oci_name_in(oci_seccomp_archs, s->architectures.v[i]))
			return rt_err_set(err, EINVAL,
					  "%s.architectures: unknown architecture \"%s\"", path,
					  s->architectures.v[i]);
	return sc_syscalls(v, path, s, err);
}

void oci_seccomp_fini(struct oci_seccomp *s)
{
	if (!s)
		return;
	free(s->default_action);
	oci_strv_fini(&s->architectures);
	oci_strv_fini(&s->flags);
	free(s->listener_path);
	for (size_t i = 0; i < s->n_syscalls; i++) {
		struct oci_seccomp_syscall *sc = &s->syscalls[i];

		oci_strv_fini(&sc->names);
		free(sc->action);
		for (size_t j = 0; j < sc->n_args; j++)
			free(sc->args[j].op);
		free(sc->args);
	}
	free(s->syscalls);
	memset(s, 0, sizeof(*s));
}
