/* `runvm features`: what this build supports, fixed at compile time. It advertises
 * only what the guest and the host side actually apply; anything planned but not
 * working yet stays out (user and time namespaces, systemd cgroups through D-Bus,
 * AppArmor, SELinux, idmapped and recursive read-only mounts). */
#include <errno.h>
#include <string.h>

#include "oci/config.h"
#include "oci/jsonw.h"
#include "oci/spec.h"

const char *const oci_mount_options[] = {
	"async",      "atime",	       "bind",	  "defaults", "dev",	     "diratime", "dirsync",
	"exec",	      "mand",	       "noatime", "nodev",    "nodiratime",  "noexec",	 "nomand",
	"norelatime", "nostrictatime", "nosuid",  "private",  "rbind",	     "relatime", "remount",
	"ro",	      "rprivate",      "rshared", "rslave",   "runbindable", "rw",	 "shared",
	"slave",      "strictatime",   "suid",	  "sync",     "unbindable",  NULL,
};

static const char *const features_ns[] = { "cgroup", "ipc", "mount", "network", "pid", "uts", NULL };

static void features_linux(struct oci_jw *w)
{
	oci_jw_key(w, "linux");
	oci_jw_obj(w);
	oci_jw_kstrs(w, "namespaces", features_ns);
	oci_jw_kstrs(w, "capabilities", oci_capabilities);
	oci_jw_key(w, "cgroup");
	oci_jw_obj(w);
	oci_jw_kbool(w, "v1", true);
	oci_jw_kbool(w, "v2", true);
	oci_jw_kbool(w, "systemd", false);
	oci_jw_kbool(w, "systemdUser", false);
	oci_jw_obj_end(w);
	oci_jw_key(w, "seccomp");
	oci_jw_obj(w);
	oci_jw_kbool(w, "enabled", true);
	oci_jw_kstrs(w, "actions", oci_seccomp_actions);
	oci_jw_kstrs(w, "operators", oci_seccomp_ops);
	oci_jw_kstrs(w, "archs", oci_seccomp_archs);
	oci_jw_obj_end(w);
	oci_jw_key(w, "apparmor");
	oci_jw_obj(w);
	oci_jw_kbool(w, "enabled", false);
	oci_jw_obj_end(w);
	oci_jw_key(w, "selinux");
	oci_jw_obj(w);
	oci_jw_kbool(w, "enabled", false);
	oci_jw_obj_end(w);
	oci_jw_obj_end(w);
}

int oci_features_json(const char *version, const char *commit, char **out, size_t *len,
		      struct rt_err *err)
{
	struct oci_jw w;
	const char *buf;
	int r;

	r = oci_jw_init(&w, "    ", err);
	if (r < 0)
		return r;
	oci_jw_obj(&w);
	oci_jw_kstr(&w, "ociVersionMin", OCI_SPEC_VERSION_MIN);
	oci_jw_kstr(&w, "ociVersionMax", OCI_SPEC_VERSION);
	oci_jw_key(&w, "hooks");
	oci_jw_arr(&w);
	/* startContainer runs inside the guest, the others on the host. */
	for (int k = 0; k < OCI_HOOK_KINDS; k++)
		oci_jw_str(&w, oci_hook_kind_name(k));
	oci_jw_arr_end(&w);
	oci_jw_kstrs(&w, "mountOptions", oci_mount_options);
	features_linux(&w);
	oci_jw_key(&w, "annotations");
	oci_jw_obj(&w);
	oci_jw_kstr(&w, "io.github.runvm.commit", commit);
	oci_jw_kstr(&w, "io.github.runvm.isolation", "kvm-microvm");
	oci_jw_kstr(&w, "io.github.runvm.version", version);
	oci_jw_obj_end(&w);
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
