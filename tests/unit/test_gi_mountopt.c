/* Unit tests of runvm-init's mount option translation (config.json options to
 * mount(2) flags, propagation and data), as runc reads them. */
#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

static int parse(const char *type, struct gi_mntopts *o, struct gi_err *e, int n, const char **v)
{
	struct proto_strv l = { (uint32_t)n, v };

	memset(e, 0, sizeof(*e));
	return gi_mount_options(&l, type, o, e);
}

int main(void)
{
	struct gi_mntopts o;
	struct gi_err e;
	const char *dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	const char *pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" };
	const char *bind[] = { "rbind", "ro", "nosuid", "rslave" };
	const char *order[] = { "ro", "rw", "nodev", "dev", "noexec" };
	const char *idmap[] = { "idmap" };
	const char *hints[] = { "tmpcopyup", "defaults" };

	ok(!parse("tmpfs", &o, &e, 4, dev) && o.flags == (MS_NOSUID | MS_STRICTATIME) &&
		   !strcmp(o.data, "mode=755,size=65536k") && !o.bind && !o.propagation,
	   "tmpfs /dev: flags and data split as runc does");
	ok(!parse("devpts", &o, &e, 6, pts) && o.flags == (MS_NOSUID | MS_NOEXEC) &&
		   !strcmp(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5"),
	   "devpts: newinstance and modes go to data");
	ok(!parse("none", &o, &e, 4, bind) && o.bind && o.rec && o.flags == (MS_RDONLY | MS_NOSUID) &&
		   o.propagation == (MS_SLAVE | MS_REC) && !o.data[0],
	   "rbind,ro,nosuid,rslave: a recursive bind with flags and propagation");
	ok(!parse("bind", &o, &e, 0, NULL) && o.bind && !o.rec, "type bind alone is a bind mount");
	ok(!parse("rbind", &o, &e, 0, NULL) && o.bind && o.rec, "type rbind is recursive");
	ok(!parse("tmpfs", &o, &e, 5, order) && o.flags == MS_NOEXEC,
	   "later options win: ro,rw is rw and nodev,dev is dev");
	ok(parse("none", &o, &e, 1, idmap) == -EINVAL && strstr(e.msg, "idmap"),
	   "idmapped mounts are refused with a message");
	ok(!parse("tmpfs", &o, &e, 2, hints) && !o.flags && !o.data[0],
	   "tmpcopyup and defaults add nothing to mount(2)");
	return tap_done();
}
