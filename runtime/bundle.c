/* Bundle resolution and the validation of config.json for create. */
#include "runtime/bundle.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "oci/spec.h"
#include "runtime/logging.h"
#include "runtime/spec2proto.h"

int rt_bundle_resolve(const char *bundle, char *out, size_t size, struct rt_err *err)
{
	autofree char *abs = realpath(bundle ? bundle : ".", NULL);
	struct stat st;

	if (!abs)
		return rt_err_sys(err, errno, "bundle %s", bundle ? bundle : ".");
	if (stat(abs, &st) < 0 || !S_ISDIR(st.st_mode))
		return rt_err_set(err, ENOTDIR, "bundle %s: not a directory", abs);
	if (strlen(abs) >= size)
		return rt_err_set(err, ENAMETOOLONG, "bundle %s: path too long", abs);
	strcpy(out, abs);
	return 0;
}

int rt_bundle_load(const char *bundle, struct oci_config **cfg, struct rt_err *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s/config.json", bundle);

	if (n < 0 || (size_t)n >= sizeof(path))
		return rt_err_set(err, ENAMETOOLONG, "bundle %s: path too long", bundle);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return rt_err_set(err, ENOENT, "bundle %s has no config.json", bundle);
	return oci_config_load(path, cfg, err);
}

int rt_bundle_rootfs(const char *bundle, const struct oci_config *cfg, char *out, size_t size,
		     struct rt_err *err)
{
	const char *p = cfg->root.path;
	struct stat st;
	int n;

	n = p[0] == '/' ? snprintf(out, size, "%s", p) : snprintf(out, size, "%s/%s", bundle, p);
	if (n < 0 || (size_t)n >= size)
		return rt_err_set(err, ENAMETOOLONG, "root.path %s: path too long", p);
	if (stat(out, &st) < 0)
		return rt_err_sys(err, errno, "rootfs %s", out);
	if (!S_ISDIR(st.st_mode))
		return rt_err_set(err, ENOTDIR, "rootfs %s: not a directory", out);
	return 0;
}

static int check_version(const struct oci_config *cfg, struct rt_err *err)
{
	if (strncmp(cfg->oci_version, "1.", 2) != 0)
		return rt_err_set(
		    err, EINVAL,
		    "config.json: ociVersion \"%s\" is not supported (runvm implements "
		    "%s to %s)",
		    cfg->oci_version, OCI_SPEC_VERSION_MIN, OCI_SPEC_VERSION);
	return 0;
}

static int check_namespaces(const struct oci_linux *l, struct rt_err *err)
{
	for (size_t i = 0; i < l->n_namespaces; i++) {
		const struct oci_namespace *ns = &l->namespaces[i];
		const char *name = oci_ns_type_name(ns->type);

		if (ns->type == OCI_NS_USER || ns->type == OCI_NS_TIME)
			return rt_err_set(err, EINVAL,
					  "config.json: linux.namespaces: %s namespaces are not "
					  "supported by runvm",
					  name);
		/* Only the network can be shared with the host side: the VM is attached
		 * to it. The other namespaces live in the guest kernel. */
		if (ns->path && ns->type != OCI_NS_NETWORK)
			return rt_err_set(
			    err, EINVAL,
			    "config.json: linux.namespaces: joining an existing %s "
			    "namespace (%s) is not possible: the container runs in its "
			    "own VM",
			    name, ns->path);
	}
	if (l->has_uid_mappings)
		return rt_err_set(err, EINVAL,
				  "config.json: linux.uidMappings: user namespaces are not "
				  "supported by runvm");
	return 0;
}

static int check_mounts(const struct oci_config *cfg, struct rt_err *err)
{
	static const char *const types[] = { "bind",   "tmpfs",	 "proc",    "sysfs", "devpts",
					     "mqueue", "cgroup", "cgroup2", NULL };

	for (size_t i = 0; i < cfg->n_mounts; i++) {
		const struct oci_mount *m = &cfg->mounts[i];

		if (m->destination[0] != '/')
			return rt_err_set(
			    err, EINVAL,
			    "config.json: mounts[%zu].destination: must be an absolute "
			    "path, got \"%s\"",
			    i, m->destination);
		if (rt_mount_is_bind(m))
			continue;
		if (!m->type || !oci_name_in(types, m->type))
			return rt_err_set(err, EINVAL,
					  "config.json: mounts[%zu] (%s): mount type \"%s\" is not "
					  "supported by runvm",
					  i, m->destination, m->type ? m->type : "");
	}
	return 0;
}

static int check_resources(const struct oci_resources *r, struct rt_err *err)
{
	if (rt_resources_check(r, err) < 0)
		return rt_err_prefix(err, "config.json");
	return 0;
}

static int check_vm(const struct oci_vm *vm, struct rt_err *err)
{
	if (!vm)
		return 0;
	if (vm->image_path)
		return rt_err_set(err, EINVAL,
				  "config.json: vm.image: root disk images are not supported by "
				  "runvm (it shares root.path with the VM)");
	if (vm->has_vcpus && (vm->vcpus < 1 || vm->vcpus > 64))
		return rt_err_set(err, EINVAL, "config.json: vm.hwConfig.vcpus: expected 1 to 64");
	if (vm->has_memory && (vm->memory_mib < 64 || vm->memory_mib > (1u << 20)))
		return rt_err_set(err, EINVAL,
				  "config.json: vm.hwConfig.memory: expected 64 to 1048576 (MiB)");
	return 0;
}

/* runc's rules for the terminal and the console socket. */
static int check_terminal(const struct oci_process *p, const struct rt_create_opts *o,
			  struct rt_err *err)
{
	if (p->terminal && o->detach && !o->console_socket)
		return rt_err_set(err, EINVAL,
				  "cannot allocate tty if runvm will detach without setting "
				  "console socket");
	if ((!p->terminal || !o->detach) && o->console_socket)
		return rt_err_set(err, EINVAL,
				  "cannot use console socket if runvm will not detach or "
				  "allocate tty");
	return 0;
}

static int check_cgroups_path(const struct rt_globals *g, const struct oci_linux *l,
			      struct rt_err *err)
{
	const char *p = l->cgroups_path;
	const char *c1, *c2;

	if (!p || g->cgroup_manager != RT_CGROUP_SYSTEMD)
		return 0;
	c1 = strchr(p, ':');
	c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':'))
		return rt_err_set(err, EINVAL,
				  "expected cgroupsPath to be of format \"slice:prefix:name\" for "
				  "systemd cgroups, got \"%s\" instead",
				  p);
	return 0;
}

int rt_config_validate(const struct rt_globals *g, const struct oci_config *cfg,
		       const struct rt_create_opts *o, struct rt_err *err)
{
	const struct oci_process *p = cfg->process;

	if (check_version(cfg, err) < 0)
		return -EINVAL;
	if (!p)
		return rt_err_set(err, EINVAL,
				  "config.json: process: required to create a container");
	if (check_terminal(p, o, err) < 0 || check_namespaces(&cfg->lnx, err) < 0 ||
	    check_mounts(cfg, err) < 0 || check_resources(&cfg->lnx.resources, err) < 0 ||
	    check_vm(cfg->vm, err) < 0 || check_cgroups_path(g, &cfg->lnx, err) < 0)
		return -EINVAL;
	/* The guest has no AppArmor or SELinux; the VM boundary is the isolation. */
	if (p->apparmor_profile && p->apparmor_profile[0])
		rt_log_debug("ignoring process.apparmorProfile %s: no AppArmor in the guest",
			     p->apparmor_profile);
	if (p->selinux_label && p->selinux_label[0])
		rt_log_debug("ignoring process.selinuxLabel %s: no SELinux in the guest",
			     p->selinux_label);
	for (size_t i = 0; p->has_caps && i < p->caps.bounding.n; i++)
		if (!oci_name_in(oci_capabilities, p->caps.bounding.v[i]))
			rt_log_debug("ignoring unknown capability %s", p->caps.bounding.v[i]);
	return 0;
}
