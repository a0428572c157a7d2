/* JSON plumbing: string vectors and maps, bounded reads, atomic writes, a
 * depth-checked parse and typed getters whose errors name the JSON path. */
#include "oci/json.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

void oci_strv_fini(struct oci_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

int oci_strv_push(struct oci_strv *sv, const char *s)
{
	char **nv = realloc(sv->v, (sv->n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	sv->v = nv;
	nv[sv->n] = strdup(s);
	if (!nv[sv->n]) {
		nv[sv->n] = NULL;
		return -ENOMEM;
	}
	nv[++sv->n] = NULL;
	return 0;
}

void oci_kvv_fini(struct oci_kvv *kv)
{
	for (size_t i = 0; i < kv->n; i++) {
		free(kv->v[i].key);
		free(kv->v[i].value);
	}
	free(kv->v);
	kv->v = NULL;
	kv->n = 0;
}

int oci_kvv_push(struct oci_kvv *kv, const char *key, const char *value)
{
	struct oci_kv *nv = realloc(kv->v, (kv->n + 1) * sizeof(*nv));
	char *k, *v;

	if (!nv)
		return -ENOMEM;
	kv->v = nv;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	nv[kv->n].key = k;
	nv[kv->n].value = v;
	kv->n++;
	return 0;
}

const char *oci_kvv_get(const struct oci_kvv *kv, const char *key)
{
	for (size_t i = 0; i < kv->n; i++)
		if (!strcmp(kv->v[i].key, key))
			return kv->v[i].value;
	return NULL;
}

int oci_fd_read(int fd, const char *name, size_t max, char **out, size_t *len, struct rt_err *err)
{
	autofree char *buf = NULL;
	size_t cap = 0, got = 0;

	for (;;) {
		if (got == cap) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb;

			if (ncap > max + 1)
				ncap = max + 1;
			nb = realloc(buf, ncap + 1);
			if (!nb)
				return rt_err_set(err, ENOMEM, "%s: out of memory", name);
			buf = nb;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rt_err_sys(err, errno, "%s: read", name);
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max)
			return rt_err_set(err, EFBIG, "%s is larger than the limit of %zu bytes",
					  name, max);
	}
	buf[got] = '\0';
	*len = got;
	*out = steal_ptr(&buf);
	return 0;
}

int oci_file_read(const char *path, size_t max, char **out, size_t *len, struct rt_err *err)
{
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return rt_err_sys(err, errno, "open %s", path);
	/* Refuse a big regular file before reading any of it. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return rt_err_set(err, EFBIG, "%s is larger than the limit of %zu bytes", path,
				  max);
	return oci_fd_read(fd, path, max, out, len, err);
}

int oci_file_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  struct rt_err *err)
{
	char tmp[4096];
	int fd, r;

	r = snprintf(tmp, sizeof(tmp), "%s.tmp.%d", name, (int)getpid());
	if (r < 0 || (size_t)r >= sizeof(tmp))
		return rt_err_set(err, ENAMETOOLONG, "%s: name too long", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return rt_err_sys(err, errno, "create %s", tmp);
	r = util_write_full(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return rt_err_sys(err, r, "write %s", name);
	}
	return 0;
}

/* yajl frees its trees recursively: bound the nesting before parsing so that a
 * hostile document cannot exhaust the stack. */
static int json_check_depth(const char *text, size_t len, struct rt_err *err)
{
	bool in_str = false, esc = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if ((c == '{' || c == '[') && ++depth > OCI_JSON_MAX_DEPTH)
			return rt_err_set(err, EINVAL, "JSON nested deeper than %d levels",
					  OCI_JSON_MAX_DEPTH);
		else if (c == '}' || c == ']')
			depth--;
	}
	return 0;
}

int oci_json_parse(const char *text, size_t len, yajl_val *out, struct rt_err *err)
{
	char ebuf[256];
	yajl_val v;
	char *nl;

	if (strlen(text) != len)
		return rt_err_set(err, EINVAL, "invalid JSON: contains a NUL byte");
	if (json_check_depth(text, len, err) < 0)
		return -EINVAL;
	ebuf[0] = '\0';
	v = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!v) {
		/* yajl's message spans lines (it quotes the input); keep the first. */
		nl = strchr(ebuf, '\n');
		if (nl)
			*nl = '\0';
		return rt_err_set(err, EINVAL, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	*out = v;
	return 0;
}

void oci_jpath(char *buf, size_t size, const char *parent, const char *key)
{
	int r;

	if (parent && *parent)
		r = snprintf(buf, size, "%s.%s", parent, key);
	else
		r = snprintf(buf, size, "%s", key);
	(void)r;
}

void oci_jpath_idx(char *buf, size_t size, const char *parent, size_t idx)
{
	int r = snprintf(buf, size, "%s[%zu]", parent, idx);

	(void)r;
}

yajl_val oci_j_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++) {
		if (!strcmp(obj->u.object.keys[i], key)) {
			yajl_val v = obj->u.object.values[i];

			return YAJL_IS_NULL(v) ? NULL : v;
		}
	}
	return NULL;
}

int oci_jv_str(yajl_val v, const char *path, char **out, struct rt_err *err)
{
	char *s;

	if (!YAJL_IS_STRING(v))
		return rt_err_set(err, EINVAL, "%s: expected a string", path);
	s = strdup(v->u.string);
	if (!s)
		return rt_err_set(err, ENOMEM, "%s: out of memory", path);
	free(*out);
	*out = s;
	return 0;
}

int oci_jv_bool(yajl_val v, const char *path, bool *out, struct rt_err *err)
{
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return rt_err_set(err, EINVAL, "%s: expected a boolean", path);
	*out = YAJL_IS_TRUE(v);
	return 0;
}

/* Integers are read from the raw text so that the full uint64 range survives and
 * 1.5 or 1e3 are refused rather than truncated. */
static bool json_raw_integer(yajl_val v, bool *neg)
{
	const char *r;

	if (!YAJL_IS_NUMBER(v) || !v->u.number.r)
		return false;
	r = v->u.number.r;
	*neg = *r == '-';
	if (*neg)
		r++;
	if (!*r)
		return false;
	for (; *r; r++)
		if (*r < '0' || *r > '9')
			return false;
	return true;
}

int oci_jv_i64(yajl_val v, const char *path, int64_t min, int64_t max, int64_t *out,
	       struct rt_err *err)
{
	bool neg;
	long long x;
	char *end;

	if (!json_raw_integer(v, &neg))
		goto bad;
	errno = 0;
	x = strtoll(v->u.number.r, &end, 10);
	if (errno || *end || x < min || x > max)
		goto bad;
	*out = x;
	return 0;
bad:
	return rt_err_set(err, EINVAL, "%s: expected an integer from %" PRId64 " to %" PRId64, path,
			  min, max);
}

int oci_jv_u64(yajl_val v, const char *path, uint64_t max, uint64_t *out, struct rt_err *err)
{
	bool neg;
	unsigned long long x;
	char *end;

	if (!json_raw_integer(v, &neg) || neg)
		goto bad;
	errno = 0;
	x = strtoull(v->u.number.r, &end, 10);
	if (errno || *end || x > max)
		goto bad;
	*out = x;
	return 0;
bad:
	return rt_err_set(err, EINVAL, "%s: expected an integer from 0 to %" PRIu64, path, max);
}

int oci_jv_strv(yajl_val v, const char *path, struct oci_strv *out, struct rt_err *err)
{
	struct oci_strv sv = { 0 };

	if (!YAJL_IS_ARRAY(v))
		return rt_err_set(err, EINVAL, "%s: expected an array of strings", path);
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val e = v->u.array.values[i];

		if (!YAJL_IS_STRING(e)) {
			oci_strv_fini(&sv);
			return rt_err_set(err, EINVAL, "%s: expected an array of strings", path);
		}
		if (oci_strv_push(&sv, e->u.string) < 0) {
			oci_strv_fini(&sv);
			return rt_err_set(err, ENOMEM, "%s: out of memory", path);
		}
	}
	oci_strv_fini(out);
	*out = sv;
	return 0;
}

int oci_jv_kvv(yajl_val v, const char *path, struct oci_kvv *out, struct rt_err *err)
{
	struct oci_kvv kv = { 0 };

	if (!YAJL_IS_OBJECT(v))
		return rt_err_set(err, EINVAL, "%s: expected an object of strings", path);
	for (size_t i = 0; i < v->u.object.len; i++) {
		yajl_val e = v->u.object.values[i];

		if (!YAJL_IS_STRING(e)) {
			oci_kvv_fini(&kv);
			return rt_err_set(err, EINVAL, "%s.%s: expected a string", path,
					  v->u.object.keys[i]);
		}
		if (oci_kvv_push(&kv, v->u.object.keys[i], e->u.string) < 0) {
			oci_kvv_fini(&kv);
			return rt_err_set(err, ENOMEM, "%s: out of memory", path);
		}
	}
	oci_kvv_fini(out);
	*out = kv;
	return 0;
}

int oci_j_obj(yajl_val obj, const char *key, const char *parent, yajl_val *out, struct rt_err *err)
{
	yajl_val v = oci_j_get(obj, key);
	char p[OCI_JPATH_MAX];

	if (!v)
		return 0;
	if (!YAJL_IS_OBJECT(v)) {
		oci_jpath(p, sizeof(p), parent, key);
		return rt_err_set(err, EINVAL, "%s: expected an object", p);
	}
	*out = v;
	return 1;
}

int oci_j_arr(yajl_val obj, const char *key, const char *parent, yajl_val *out, struct rt_err *err)
{
	yajl_val v = oci_j_get(obj, key);
	char p[OCI_JPATH_MAX];

	if (!v)
		return 0;
	if (!YAJL_IS_ARRAY(v)) {
		oci_jpath(p, sizeof(p), parent, key);
		return rt_err_set(err, EINVAL, "%s: expected an array", p);
	}
	*out = v;
	return 1;
}

int oci_j_each(yajl_val obj, const char *key, const char *parent, yajl_val **items, size_t *len,
	       struct rt_err *err)
{
	yajl_val a = NULL;
	int r = oci_j_arr(obj, key, parent, &a, err);

	*items = NULL;
	*len = 0;
	if (r <= 0)
		return r;
	*items = a->u.array.values;
	*len = a->u.array.len;
	return 1;
}

/* The member getters share one shape: look up, name the path, convert. */
#define J_MEMBER(call)                                                                             \
	do {                                                                                       \
		yajl_val v = oci_j_get(obj, key);                                                  \
		char path[OCI_JPATH_MAX];                                                          \
		int r_;                                                                            \
		if (!v)                                                                            \
			return 0;                                                                  \
		oci_jpath(path, sizeof(path), parent, key);                                        \
		r_ = (call);                                                                       \
		return r_ < 0 ? r_ : 1;                                                            \
	} while (0)

int oci_j_str(yajl_val obj, const char *key, const char *parent, char **out, struct rt_err *err)
{
	J_MEMBER(oci_jv_str(v, path, out, err));
}

int oci_j_bool(yajl_val obj, const char *key, const char *parent, bool *out, struct rt_err *err)
{
	J_MEMBER(oci_jv_bool(v, path, out, err));
}

int oci_j_i64(yajl_val obj, const char *key, const char *parent, int64_t min, int64_t max,
	      int64_t *out, struct rt_err *err)
{
	J_MEMBER(oci_jv_i64(v, path, min, max, out, err));
}

int oci_j_u64(yajl_val obj, const char *key, const char *parent, uint64_t max, uint64_t *out,
	      struct rt_err *err)
{
	J_MEMBER(oci_jv_u64(v, path, max, out, err));
}

int oci_j_u32(yajl_val obj, const char *key, const char *parent, uint32_t *out, struct rt_err *err)
{
	uint64_t x = 0;
	int r = oci_j_u64(obj, key, parent, UINT32_MAX, &x, err);

	if (r > 0)
		*out = (uint32_t)x;
	return r;
}

int oci_j_strv(yajl_val obj, const char *key, const char *parent, struct oci_strv *out,
	       struct rt_err *err)
{
	J_MEMBER(oci_jv_strv(v, path, out, err));
}

int oci_j_kvv(yajl_val obj, const char *key, const char *parent, struct oci_kvv *out,
	      struct rt_err *err)
{
	J_MEMBER(oci_jv_kvv(v, path, out, err));
}

int oci_j_missing(const char *parent, const char *key, struct rt_err *err)
{
	char p[OCI_JPATH_MAX];

	oci_jpath(p, sizeof(p), parent, key);
	return rt_err_set(err, EINVAL, "%s: required but missing", p);
}
