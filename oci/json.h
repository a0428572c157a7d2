/* JSON plumbing for oci/: bounded file reading, atomic writes, a parse that refuses
 * absurd nesting, and typed getters over yajl_tree whose errors name the JSON path
 * ("process.args: expected an array of strings"). */
#ifndef RUNVM_OCI_JSON_H
#define RUNVM_OCI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "common/err.h"

#define OCI_JSON_MAX_DEPTH 64
#define OCI_CONFIG_MAX	   (4u << 20) /* bytes of config.json (and of other inputs) */
#define OCI_JPATH_MAX	   256

/* NULL-terminated string vector; n excludes the terminator. v is NULL when empty. */
struct oci_strv {
	size_t n;
	char **v;
};

struct oci_kv {
	char *key;
	char *value;
};

/* String map in document order (annotations, sysctl). */
struct oci_kvv {
	size_t n;
	struct oci_kv *v;
};

void oci_strv_fini(struct oci_strv *sv);
int oci_strv_push(struct oci_strv *sv, const char *s); /* copies s; 0 or -ENOMEM */
void oci_kvv_fini(struct oci_kvv *kv);
int oci_kvv_push(struct oci_kvv *kv, const char *key, const char *value);
const char *oci_kvv_get(const struct oci_kvv *kv, const char *key);

/* Reads at most max bytes from path (or from fd) into a NUL-terminated heap buffer.
 * Larger input is an error that says so; name is used in messages. */
int oci_file_read(const char *path, size_t max, char **out, size_t *len, struct rt_err *err);
int oci_fd_read(int fd, const char *name, size_t max, char **out, size_t *len, struct rt_err *err);

/* Writes name in dirfd (AT_FDCWD for the cwd) through a temporary file and a rename,
 * so that readers see the old or the new content, never a mix. */
int oci_file_write_atomic(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			  struct rt_err *err);

/* Parses a NUL-terminated document of len bytes. The caller frees *out with
 * yajl_tree_free. */
int oci_json_parse(const char *text, size_t len, yajl_val *out, struct rt_err *err);

/* Paths for messages: ("process", "args") -> "process.args", ("", "x") -> "x",
 * ("mounts", 3) -> "mounts[3]". */
void oci_jpath(char *buf, size_t size, const char *parent, const char *key);
void oci_jpath_idx(char *buf, size_t size, const char *parent, size_t idx);

/* The member key of an object, or NULL when it is absent or JSON null (null counts
 * as absent, as in Go's encoding/json). */
yajl_val oci_j_get(yajl_val obj, const char *key);

/* Value getters: v is the value, path its name for messages. 0 or -errno. */
int oci_jv_str(yajl_val v, const char *path, char **out, struct rt_err *err);
int oci_jv_bool(yajl_val v, const char *path, bool *out, struct rt_err *err);
int oci_jv_i64(yajl_val v, const char *path, int64_t min, int64_t max, int64_t *out,
	       struct rt_err *err);
int oci_jv_u64(yajl_val v, const char *path, uint64_t max, uint64_t *out, struct rt_err *err);
int oci_jv_strv(yajl_val v, const char *path, struct oci_strv *out, struct rt_err *err);
int oci_jv_kvv(yajl_val v, const char *path, struct oci_kvv *out, struct rt_err *err);

/* Member getters: 1 when present, 0 when absent or null (out untouched), -errno on
 * a wrong type. parent is the object's own path. */
int oci_j_obj(yajl_val obj, const char *key, const char *parent, yajl_val *out, struct rt_err *err);
int oci_j_arr(yajl_val obj, const char *key, const char *parent, yajl_val *out, struct rt_err *err);
int oci_j_str(yajl_val obj, const char *key, const char *parent, char **out, struct rt_err *err);
int oci_j_bool(yajl_val obj, const char *key, const char *parent, bool *out, struct rt_err *err);
int oci_j_i64(yajl_val obj, const char *key, const char *parent, int64_t min, int64_t max,
	      int64_t *out, struct rt_err *err);
int oci_j_u64(yajl_val obj, const char *key, const char *parent, uint64_t max, uint64_t *out,
	      struct rt_err *err);
int oci_j_u32(yajl_val obj, const char *key, const char *parent, uint32_t *out, struct rt_err *err);
int oci_j_strv(yajl_val obj, const char *key, const char *parent, struct oci_strv *out,
	       struct rt_err *err);
int oci_j_kvv(yajl_val obj, const char *key, const char *parent, struct oci_kvv *out,
	      struct rt_err *err);

/* Error for a required member that is absent: "parent.key: required but missing". */
int oci_j_missing(const char *parent, const char *key, struct rt_err *err);

/* Checks that v is an array (or absent), for loops over its elements: *len is 0
 * when absent. */
int oci_j_each(yajl_val obj, const char *key, const char *parent, yajl_val **items, size_t *len,
	       struct rt_err *err);

#endif
