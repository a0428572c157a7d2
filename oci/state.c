/* state.json and the state documents: generation, parsing, RFC 3339 times. */
#include "oci/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static const char *const status_names[] = {
	[OCI_STATUS_CREATING] = "creating", [OCI_STATUS_CREATED] = "created",
	[OCI_STATUS_RUNNING] = "running",   [OCI_STATUS_PAUSED] = "paused",
	[OCI_STATUS_STOPPED] = "stopped",
};

const char *oci_status_name(enum oci_status st)
{
	return (unsigned)st < ARRAY_SIZE(status_names) ? status_names[st] : "unknown";
}

int oci_status_parse(const char *name, enum oci_status *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_names); i++) {
		if (!strcmp(name, status_names[i])) {
			*out = (enum oci_status)i;
			return 0;
		}
	}
	return -EINVAL;
}

int oci_time_format(const struct timespec *ts, char *buf, size_t size)
{
	char frac[16] = "";
	struct tm tm;
	int n;

	if (!gmtime_r(&ts->tv_sec, &tm))
		return -EINVAL;
	if (ts->tv_nsec > 0 && ts->tv_nsec < 1000000000L) {
		n = snprintf(frac, sizeof(frac), ".%09ld", ts->tv_nsec);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

static const char *time_frac(const char *p, long *nsec)
{
	long scale = 100000000L;

	*nsec = 0;
	if (*p != '.')
		return p;
	if (p[1] < '0' || p[1] > '9')
		return NULL;
	for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
		*nsec += (*p - '0') * scale; /* digits past nanoseconds add 0 */
	return p;
}

int oci_time_parse(const char *s, struct timespec *out)
{
	struct tm tm = { 0 };
	const char *p;
	long off = 0, nsec;
	int hh, mm;

	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	p = time_frac(p, &nsec);
	if (!p)
		return -EINVAL;
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2 &&
		   strlen(p) == 6) {
		off = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	out->tv_sec = timegm(&tm) - off;
	out->tv_nsec = nsec;
	return 0;
}

static void state_gen_priv(struct oci_jw *w, const struct oci_state_priv *rv)
{
	oci_jw_key(w, "runvm");
	oci_jw_obj(w);
	oci_jw_kstr(w, "cgroupManager", rv->cgroup_manager);
	oci_jw_kstr(w, "cgroupsPath", rv->cgroups_path);
	oci_jw_kbool(w, "rootless", rv->rootless);
	oci_jw_kstr(w, "vmmPath", rv->vmm_path);
	oci_jw_kstr(w, "kernelPath", rv->kernel_path);
	oci_jw_kstr(w, "initrdPath", rv->initrd_path);
	oci_jw_kstr(w, "controlSocket", rv->control_socket);
	oci_jw_kuint(w, "vmmStartTime", rv->vmm_start_time);
	oci_jw_kstr(w, "cgroupDir", rv->cgroup_dir);
	oci_jw_obj_end(w);
}

void oci_state_gen(struct oci_jw *w, const struct oci_state *s, enum oci_state_view view)
{
	char created[64];

	oci_jw_obj(w);
	oci_jw_kstr(w, "ociVersion", s->oci_version);
	oci_jw_kstr(w, "id", s->id);
	oci_jw_kstr(w, "status", oci_status_name(s->status));
	if (view != OCI_STATE_VIEW_GUEST_HOOK)
		oci_jw_kint(w, "pid", s->pid);
	oci_jw_kstr(w, "bundle", s->bundle);
	if (view != OCI_STATE_VIEW_HOOK && view != OCI_STATE_VIEW_GUEST_HOOK) {
		oci_jw_kstr(w, "rootfs", s->rootfs);
		if (oci_time_format(&s->created, created, sizeof(created)) < 0)
			created[0] = '\0';
		oci_jw_kstr(w, "created", created);
	}
	oci_jw_key(w, "annotations");
	oci_jw_kvv(w, &s->annotations);
	if (view == OCI_STATE_VIEW_CLI || view == OCI_STATE_VIEW_DISK)
		oci_jw_kstr(w, "owner", s->owner);
	if (view == OCI_STATE_VIEW_DISK)
		state_gen_priv(w, &s->rv);
	oci_jw_obj_end(w);
}

int oci_state_to_json(const struct oci_state *s, enum oci_state_view view, const char *indent,
		      char **out, size_t *len, struct rt_err *err)
{
	struct oci_jw w;
	const char *buf;
	int r;

	r = oci_jw_init(&w, indent, err);
	if (r < 0)
		return r;
	oci_state_gen(&w, s, view);
	r = oci_jw_done(&w, &buf, len, err);
	if (r == 0) {
		*out = strndup(buf, *len);
		if (!*out)
			r = rt_err_set(err, ENOMEM, "out of memory");
	}
	oci_jw_fini(&w);
	return r;
}

static int state_parse_priv(yajl_val top, struct oci_state_priv *rv, struct rt_err *err)
{
	yajl_val v = NULL;
	int r;

	r = oci_j_obj(top, "runvm", "", &v, err);
	if (r <= 0)
		return r;
	if (oci_j_str(v, "cgroupManager", "runvm", &rv->cgroup_manager, err) < 0 ||
	    oci_j_str(v, "cgroupsPath", "runvm", &rv->cgroups_path, err) < 0 ||
	    oci_j_bool(v, "rootless", "runvm", &rv->rootless, err) < 0 ||
	    oci_j_str(v, "vmmPath", "runvm", &rv->vmm_path, err) < 0 ||
	    oci_j_str(v, "kernelPath", "runvm", &rv->kernel_path, err) < 0 ||
	    oci_j_str(v, "initrdPath", "runvm", &rv->initrd_path, err) < 0 ||
	    oci_j_str(v, "controlSocket", "runvm", &rv->control_socket, err) < 0 ||
	    oci_j_u64(v, "vmmStartTime", "runvm", UINT64_MAX, &rv->vmm_start_time, err) < 0 ||
	    oci_j_str(v, "cgroupDir", "runvm", &rv->cgroup_dir, err) < 0)
		return -EINVAL;
	return 0;
}

static int state_parse_top(yajl_val top, struct oci_state *s, struct rt_err *err)
{
	char *status = NULL, *created = NULL;
	int64_t pid = 0;
	int r;

	if (!YAJL_IS_OBJECT(top))
		return rt_err_set(err, EINVAL, "expected a JSON object");
	if (oci_j_str(top, "ociVersion", "", &s->oci_version, err) < 0 ||
	    oci_j_str(top, "id", "", &s->id, err) < 0 ||
	    oci_j_i64(top, "pid", "", 0, INT32_MAX, &pid, err) < 0 ||
	    oci_j_str(top, "bundle", "", &s->bundle, err) < 0 ||
	    oci_j_str(top, "rootfs", "", &s->rootfs, err) < 0 ||
	    oci_j_kvv(top, "annotations", "", &s->annotations, err) < 0 ||
	    oci_j_str(top, "owner", "", &s->owner, err) < 0 ||
	    oci_j_str(top, "status", "", &status, err) < 0 ||
	    oci_j_str(top, "created", "", &created, err) < 0)
		r = -EINVAL;
	else if (!s->id || !status)
		r = oci_j_missing("", s->id ? "status" : "id", err);
	else if (oci_status_parse(status, &s->status) < 0)
		r = rt_err_set(err, EINVAL, "status: unknown status \"%s\"", status);
	else if (created && oci_time_parse(created, &s->created) < 0)
		r = rt_err_set(err, EINVAL, "created: not an RFC 3339 time: \"%s\"", created);
	else
		r = state_parse_priv(top, &s->rv, err);
	s->pid = (int)pid;
	free(status);
	free(created);
	return r;
}

int oci_state_parse(const char *json, size_t len, struct oci_state *s, struct rt_err *err)
{
	yajl_val top;
	int r;

	memset(s, 0, sizeof(*s));
	r = oci_json_parse(json, len, &top, err);
	if (r < 0)
		return r;
	r = state_parse_top(top, s, err);
	yajl_tree_free(top);
	if (r < 0)
		oci_state_fini(s);
	return r;
}

int oci_state_save(int dirfd, const struct oci_state *s, struct rt_err *err)
{
	autofree char *json = NULL;
	size_t len;
	int r;

	r = oci_state_to_json(s, OCI_STATE_VIEW_DISK, NULL, &json, &len, err);
	if (r < 0)
		return r;
	return oci_file_write_atomic(dirfd, OCI_STATE_FILE, json, len, 0600, err);
}

int oci_state_load(int dirfd, struct oci_state *s, struct rt_err *err)
{
	autofree char *buf = NULL;
	autoclose int fd = openat(dirfd, OCI_STATE_FILE, O_RDONLY | O_CLOEXEC);
	size_t len;
	int r;

	memset(s, 0, sizeof(*s));
	if (fd < 0)
		return rt_err_sys(err, errno, "open " OCI_STATE_FILE);
	r = oci_fd_read(fd, OCI_STATE_FILE, OCI_CONFIG_MAX, &buf, &len, err);
	if (r < 0)
		return r;
	r = oci_state_parse(buf, len, s, err);
	return r < 0 ? rt_err_prefix(err, OCI_STATE_FILE) : 0;
}

void oci_state_fini(struct oci_state *s)
{
	free(s->oci_version);
	free(s->id);
	free(s->bundle);
	free(s->rootfs);
	oci_kvv_fini(&s->annotations);
	free(s->owner);
	free(s->rv.cgroup_manager);
	free(s->rv.cgroups_path);
	free(s->rv.vmm_path);
	free(s->rv.kernel_path);
	free(s->rv.initrd_path);
	free(s->rv.control_socket);
	free(s->rv.cgroup_dir);
	memset(s, 0, sizeof(*s));
}
