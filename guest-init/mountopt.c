/* config.json mount options ("nosuid", "rbind", "mode=755", "rprivate", ...) to
 * the flags, propagation and data string of mount(2), as runc reads them.
 * Options later in the list win over earlier ones ("ro" then "rw" is rw). */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "guest-init/gi.h"

struct gi_mntflag {
	const char *name;
	bool clear;
	unsigned long flag;
};

static const struct gi_mntflag gi_mntflags[] = {
	{ "async", true, MS_SYNCHRONOUS },    { "atime", true, MS_NOATIME },
	{ "defaults", false, 0 },             { "dev", true, MS_NODEV },
	{ "diratime", true, MS_NODIRATIME },  { "dirsync", false, MS_DIRSYNC },
	{ "exec", true, MS_NOEXEC },          { "iversion", false, MS_I_VERSION },
	{ "lazytime", false, MS_LAZYTIME },   { "loud", true, MS_SILENT },
	{ "mand", false, MS_MANDLOCK },       { "noatime", false, MS_NOATIME },
	{ "nodev", false, MS_NODEV },         { "nodiratime", false, MS_NODIRATIME },
	{ "noexec", false, MS_NOEXEC },       { "noiversion", true, MS_I_VERSION },
	{ "nolazytime", true, MS_LAZYTIME },  { "nomand", true, MS_MANDLOCK },
	{ "norelatime", true, MS_RELATIME },  { "nostrictatime", true, MS_STRICTATIME },
	{ "nosuid", false, MS_NOSUID },       { "relatime", false, MS_RELATIME },
	{ "remount", false, MS_REMOUNT },     { "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },            { "silent", false, MS_SILENT },
	{ "strictatime", false, MS_STRICTATIME }, { "suid", true, MS_NOSUID },
	{ "sync", false, MS_SYNCHRONOUS },
};

static const struct gi_mntflag gi_mntprop[] = {
	{ "private", false, MS_PRIVATE },    { "rprivate", false, MS_PRIVATE | MS_REC },
	{ "shared", false, MS_SHARED },      { "rshared", false, MS_SHARED | MS_REC },
	{ "slave", false, MS_SLAVE },        { "rslave", false, MS_SLAVE | MS_REC },
	{ "unbindable", false, MS_UNBINDABLE }, { "runbindable", false, MS_UNBINDABLE | MS_REC },
};

static const struct gi_mntflag *gi_mnt_find(const struct gi_mntflag *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(t[i].name, name))
			return &t[i];
	return NULL;
}

static int gi_mnt_data_add(struct gi_mntopts *o, const char *opt, struct gi_err *e)
{
	size_t have = strlen(o->data), add = strlen(opt);

	if (have + add + 2 > sizeof(o->data))
		return gi_fail(e, -E2BIG, "mount options too long");
	if (have)
		o->data[have++] = ',';
	memcpy(o->data + have, opt, add + 1);
	return 0;
}

int gi_mount_options(const struct proto_strv *opts, const char *type, struct gi_mntopts *o,
		     struct gi_err *e)
{
	memset(o, 0, sizeof(*o));
	o->bind = !strcmp(type, "bind") || !strcmp(type, "rbind");
	o->rec = !strcmp(type, "rbind");
	for (uint32_t i = 0; i < opts->n; i++) {
		const char *opt = opts->v[i];
		const struct gi_mntflag *f;
		int ret;

		if (!strcmp(opt, "bind") || !strcmp(opt, "rbind")) {
			o->bind = true;
			o->rec = opt[0] == 'r';
		} else if ((f = gi_mnt_find(gi_mntflags, sizeof(gi_mntflags) / sizeof(*f), opt))) {
			if (f->clear)
				o->flags &= ~f->flag;
			else
				o->flags |= f->flag;
		} else if ((f = gi_mnt_find(gi_mntprop, sizeof(gi_mntprop) / sizeof(*f), opt))) {
			o->propagation = f->flag;
		} else if (!strcmp(opt, "idmap") || !strcmp(opt, "ridmap")) {
			/* The VM is the boundary: no user namespaces, no idmapped mounts. */
			return gi_fail(e, -EINVAL, "mount option %s is not supported", opt);
		} else if (!strcmp(opt, "tmpcopyup") || !strcmp(opt, "copy-symlink")) {
			/* crun's and podman's hints, not mount(2) options. */
			continue;
		} else if ((ret = gi_mnt_data_add(o, opt, e))) {
			return ret;
		}
	}
	return 0;
}
