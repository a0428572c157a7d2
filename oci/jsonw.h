/* A small JSON writer over yajl_gen for what runvm prints and stores (state, list,
 * features, ps, spec, log lines). Errors are sticky: write everything, then check
 * once in oci_jw_done. */
#ifndef RUNVM_OCI_JSONW_H
#define RUNVM_OCI_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>

#include "common/err.h"
#include "oci/json.h"

struct oci_jw {
	yajl_gen g;
	bool failed;
};

/* indent: NULL for compact output, else the indent string ("  ", "\t"). */
int oci_jw_init(struct oci_jw *w, const char *indent, struct rt_err *err);
void oci_jw_fini(struct oci_jw *w);

void oci_jw_obj(struct oci_jw *w);
void oci_jw_obj_end(struct oci_jw *w);
void oci_jw_arr(struct oci_jw *w);
void oci_jw_arr_end(struct oci_jw *w);
void oci_jw_key(struct oci_jw *w, const char *key);
void oci_jw_str(struct oci_jw *w, const char *s); /* NULL writes "" */
void oci_jw_int(struct oci_jw *w, long long x);
void oci_jw_uint(struct oci_jw *w, unsigned long long x);
void oci_jw_bool(struct oci_jw *w, bool b);
void oci_jw_null(struct oci_jw *w);
void oci_jw_strs(struct oci_jw *w, const char *const *list); /* NULL-terminated array */
void oci_jw_strv(struct oci_jw *w, const struct oci_strv *sv);
void oci_jw_kvv(struct oci_jw *w, const struct oci_kvv *kv); /* as an object */

/* Key-value shorthands. */
void oci_jw_kstr(struct oci_jw *w, const char *key, const char *s);
void oci_jw_kint(struct oci_jw *w, const char *key, long long x);
void oci_jw_kuint(struct oci_jw *w, const char *key, unsigned long long x);
void oci_jw_kbool(struct oci_jw *w, const char *key, bool b);
void oci_jw_kstrs(struct oci_jw *w, const char *key, const char *const *list);

/* The finished document (owned by w) or an error. */
int oci_jw_done(struct oci_jw *w, const char **buf, size_t *len, struct rt_err *err);

/* Writes the finished document, plus a newline when asked, to fd. */
int oci_jw_write_fd(struct oci_jw *w, int fd, bool newline, struct rt_err *err);

#endif
