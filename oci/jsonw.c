/* JSON writer over yajl_gen with sticky errors. */
#include "oci/jsonw.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

int oci_jw_init(struct oci_jw *w, const char *indent, struct rt_err *err)
{
	w->failed = false;
	w->g = yajl_gen_alloc(NULL);
	if (!w->g)
		return rt_err_set(err, ENOMEM, "JSON writer: out of memory");
	if (indent) {
		yajl_gen_config(w->g, yajl_gen_beautify, 1);
		yajl_gen_config(w->g, yajl_gen_indent_string, indent);
	}
	return 0;
}

void oci_jw_fini(struct oci_jw *w)
{
	if (w->g)
		yajl_gen_free(w->g);
	w->g = NULL;
}

static void jw_check(struct oci_jw *w, yajl_gen_status st)
{
	if (st != yajl_gen_status_ok)
		w->failed = true;
}

void oci_jw_obj(struct oci_jw *w)
{
	jw_check(w, yajl_gen_map_open(w->g));
}

void oci_jw_obj_end(struct oci_jw *w)
{
	jw_check(w, yajl_gen_map_close(w->g));
}

void oci_jw_arr(struct oci_jw *w)
{
	jw_check(w, yajl_gen_array_open(w->g));
}

void oci_jw_arr_end(struct oci_jw *w)
{
	jw_check(w, yajl_gen_array_close(w->g));
}

void oci_jw_str(struct oci_jw *w, const char *s)
{
	if (!s)
		s = "";
	jw_check(w, yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)));
}

void oci_jw_key(struct oci_jw *w, const char *key)
{
	oci_jw_str(w, key);
}

void oci_jw_int(struct oci_jw *w, long long x)
{
	jw_check(w, yajl_gen_integer(w->g, x));
}

void oci_jw_uint(struct oci_jw *w, unsigned long long x)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%llu", x);

	/* yajl_gen_integer is signed: go through the number text for the full range. */
	jw_check(w, yajl_gen_number(w->g, num, (size_t)n));
}

void oci_jw_bool(struct oci_jw *w, bool b)
{
	jw_check(w, yajl_gen_bool(w->g, b));
}

void oci_jw_null(struct oci_jw *w)
{
	jw_check(w, yajl_gen_null(w->g));
}

void oci_jw_strs(struct oci_jw *w, const char *const *list)
{
	oci_jw_arr(w);
	for (; list && *list; list++)
		oci_jw_str(w, *list);
	oci_jw_arr_end(w);
}

void oci_jw_strv(struct oci_jw *w, const struct oci_strv *sv)
{
	oci_jw_arr(w);
	for (size_t i = 0; i < sv->n; i++)
		oci_jw_str(w, sv->v[i]);
	oci_jw_arr_end(w);
}

void oci_jw_kvv(struct oci_jw *w, const struct oci_kvv *kv)
{
	oci_jw_obj(w);
	for (size_t i = 0; i < kv->n; i++)
		oci_jw_kstr(w, kv->v[i].key, kv->v[i].value);
	oci_jw_obj_end(w);
}

void oci_jw_kstr(struct oci_jw *w, const char *key, const char *s)
{
	oci_jw_key(w, key);
	oci_jw_str(w, s);
}

void oci_jw_kint(struct oci_jw *w, const char *key, long long x)
{
	oci_jw_key(w, key);
	oci_jw_int(w, x);
}

void oci_jw_kuint(struct oci_jw *w, const char *key, unsigned long long x)
{
	oci_jw_key(w, key);
	oci_jw_uint(w, x);
}

void oci_jw_kbool(struct oci_jw *w, const char *key, bool b)
{
	oci_jw_key(w, key);
	oci_jw_bool(w, b);
}

void oci_jw_kstrs(struct oci_jw *w, const char *key, const char *const *list)
{
	oci_jw_key(w, key);
	oci_jw_strs(w, list);
}

int oci_jw_done(struct oci_jw *w, const char **buf, size_t *len, struct rt_err *err)
{
	const unsigned char *b;

	if (w->failed)
		return rt_err_set(err, EINVAL, "JSON writer: malformed document");
	if (yajl_gen_get_buf(w->g, &b, len) != yajl_gen_status_ok)
		return rt_err_set(err, EINVAL, "JSON writer: incomplete document");
	*buf = (const char *)b;
	return 0;
}

int oci_jw_write_fd(struct oci_jw *w, int fd, bool newline, struct rt_err *err)
{
	const char *buf;
	size_t len;
	int r;

	r = oci_jw_done(w, &buf, &len, err);
	if (r < 0)
		return r;
	r = util_write_full(fd, buf, len);
	/* yajl already ends a beautified document with a newline. */
	if (r == 0 && newline && (len == 0 || buf[len - 1] != '\n'))
		r = util_write_full(fd, "\n", 1);
	if (r < 0)
		return rt_err_sys(err, r, "write");
	return 0;
}
