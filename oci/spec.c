/* The default config.json of `runvm spec`, modelled on what runc writes: a shell
 * with a terminal in "rootfs", the usual mounts, masked and read-only paths. */
#include "oci/spec.h"

#include <errno.h>
#include <string.h>

#include "oci/jsonw.h"

static void spec_mount(struct oci_jw *w, const char *dst, const char *type, const char *src,
		       const char *const *opts)
{
	oci_jw_obj(w);
	oci_jw_kstr(w, "destination", dst);
	oci_jw_kstr(w, "type", type);
	oci_jw_kstr(w, "source", src);
	if (opts)
		oci_jw_kstrs(w, "options", opts);
	oci_jw_obj_end(w);
}

static void spec_process(struct oci_jw *w)
{
	static const char *const args[] = { "sh", NULL };
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		NULL
	};
	static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					    NULL };
	static const char *const sets[] = { "bounding", "effective", "permitted", "ambient", NULL };

	oci_jw_key(w, "process");
	oci_jw_obj(w);
	oci_jw_kbool(w, "terminal", true);
	oci_jw_key(w, "user");
	oci_jw_obj(w);
	oci_jw_kint(w, "uid", 0);
	oci_jw_kint(w, "gid", 0);
	oci_jw_obj_end(w);
	oci_jw_kstrs(w, "args", args);
	oci_jw_kstrs(w, "env", env);
	oci_jw_kstr(w, "cwd", "/");
	oci_jw_key(w, "capabilities");
	oci_jw_obj(w);
	for (const char *const *s = sets; *s; s++)
		oci_jw_kstrs(w, *s, caps);
	oci_jw_obj_end(w);
	oci_jw_key(w, "rlimits");
	oci_jw_arr(w);
	oci_jw_obj(w);
	oci_jw_kstr(w, "type", "RLIMIT_NOFILE");
	oci_jw_kint(w, "hard", 1024);
	oci_jw_kint(w, "soft", 1024);
	oci_jw_obj_end(w);
	oci_jw_arr_end(w);
	oci_jw_kbool(w, "noNewPrivileges", true);
	oci_jw_obj_end(w);
}

static void spec_mounts(struct oci_jw *w)
{
	static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k",
					   NULL };
	static const char *const pts[] = { "nosuid",	"noexec", "newinstance", "ptmxmode=0666",
					   "mode=0620", "gid=5",  NULL };
	static const char *const shm[] = { "nosuid",	"noexec",      "nodev",
					   "mode=1777", "size=65536k", NULL };
	static const char *const mq[] = { "nosuid", "noexec", "nodev", NULL };
	static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
	static const char *const cg[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

	oci_jw_key(w, "mounts");
	oci_jw_arr(w);
	spec_mount(w, "/proc", "proc", "proc", NULL);
	spec_mount(w, "/dev", "tmpfs", "tmpfs", dev);
	spec_mount(w, "/dev/pts", "devpts", "devpts", pts);
	spec_mount(w, "/dev/shm", "tmpfs", "shm", shm);
	spec_mount(w, "/dev/mqueue", "mqueue", "mqueue", mq);
	spec_mount(w, "/sys", "sysfs", "sysfs", sys);
	spec_mount(w, "/sys/fs/cgroup", "cgroup", "cgroup", cg);
	oci_jw_arr_end(w);
}

static void spec_linux(struct oci_jw *w, bool rootless)
{
	static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", NULL };
	static const char *const masked[] = { "/proc/acpi",
					      "/proc/asound",
					      "/proc/kcore",
					      "/proc/keys",
					      "/proc/latency_stats",
					      "/proc/timer_list",
					      "/proc/timer_stats",
					      "/proc/sched_debug",
					      "/sys/firmware",
					      "/proc/scsi",
					      NULL };
	static const char *const ro[] = { "/proc/bus",		 "/proc/fs",
					  "/proc/irq",		 "/proc/sys",
					  "/proc/sysrq-trigger", NULL };

	oci_jw_key(w, "linux");
	oci_jw_obj(w);
	if (!rootless) {
		oci_jw_key(w, "resources");
		oci_jw_obj(w);
		oci_jw_key(w, "devices");
		oci_jw_arr(w);
		oci_jw_obj(w);
		oci_jw_kbool(w, "allow", false);
		oci_jw_kstr(w, "access", "rwm");
		oci_jw_obj_end(w);
		oci_jw_arr_end(w);
		oci_jw_obj_end(w);
	}
	oci_jw_key(w, "namespaces");
	oci_jw_arr(w);
	for (const char *const *n = ns; *n; n++) {
		if (rootless && !strcmp(*n, "network"))
			continue;
		oci_jw_obj(w);
		oci_jw_kstr(w, "type", *n);
		oci_jw_obj_end(w);
	}
	oci_jw_arr_end(w);
	oci_jw_kstrs(w, "maskedPaths", masked);
	oci_jw_kstrs(w, "readonlyPaths", ro);
	oci_jw_obj_end(w);
}

int oci_spec_default(bool rootless, char **out, size_t *len, struct rt_err *err)
{
	struct oci_jw w;
	const char *buf;
	int r;

	r = oci_jw_init(&w, "\t", err);
	if (r < 0)
		return r;
	oci_jw_obj(&w);
	oci_jw_kstr(&w, "ociVersion", OCI_SPEC_VERSION);
	spec_process(&w);
	oci_jw_key(&w, "root");
	oci_jw_obj(&w);
	oci_jw_kstr(&w, "path", "rootfs");
	oci_jw_kbool(&w, "readonly", true);
	oci_jw_obj_end(&w);
	oci_jw_kstr(&w, "hostname", "runvm");
	spec_mounts(&w);
	spec_linux(&w, rootless);
	oci_jw_obj_end(&w);
	r = oci_jw_done(&w, &buf, len, err);
	if (r == 0) {
		*out = strndup(buf, *len);
		if (!*out)
			r = rt_err_set(err, ENOMEM, "out of memory");
	}
	oci_jw_fini(&w);
	return r;
}
