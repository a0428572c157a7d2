/* mkspec: writes a container spec file for runvm-vmm --container --spec FILE
 * (one encoded PROTO_CREATE message, common/proto.h) from command-line options.
 * A test tool, and a reference for what the runtime derives from config.json.
 *
 *   mkspec -o FILE [options] [--] ARGS...
 *
 * Defaults: id "test", root = root_path under the share root_tag (or a guest
 * directory when root_tag is empty), env PATH and TERM, cwd /, uid/gid 0,
 * namespaces pid,uts,ipc,network, mounts proc /proc, tmpfs /dev, devpts /dev/pts,
 * tmpfs /dev/shm, sysfs /sys (ro), capabilities unchanged (root keeps all). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proto.h"
#include "common/util.h"

#define MAX_LIST 256

static const char usage[] =
	"usage: mkspec -o FILE [options] [--] ARGS...\n"
	"  --id ID              container id (default test)\n"
	"  --root-tag TAG       virtio-fs tag of the share holding the root (default: none)\n"
	"  --rootfs PATH        root_path: under the share, or a guest directory (default /)\n"
	"  --readonly           read-only root\n"
	"  --terminal           a pty as the process's terminal (runvm-vmm --console-fd)\n"
	"  --size ROWSxCOLS     the terminal's initial size\n"
	"  --env K=V            add to the environment (repeatable)\n"
	"  --clear-env          start from an empty environment\n"
	"  --cwd DIR            working directory (default /)\n"
	"  --user UID:GID       (default 0:0)\n"
	"  --hostname NAME\n"
	"  --namespaces LIST    comma-separated, as in config.json: pid,uts,ipc,network,\n"
	"                       cgroup,mount (default\n"
	"                       pid,uts,ipc,network; \"none\" for none)\n"
	"  --no-mounts          none of the default mounts\n"
	"  --mount SRC:DST:TYPE[:OPT,OPT...]   one more mount (repeatable)\n"
	"  --cgroup KEY=VALUE   a cgroup v2 file in the container's cgroup (repeatable)\n"
	"  --extra in|out|both  the process's next extra fd, 3 and up (repeatable; the\n"
	"                       VMM's --extra-fds gives the fds and chooses the ports)\n";

static const char *env[MAX_LIST] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"
};
static uint32_t n_env = 2;
static struct proto_mount mounts[MAX_LIST];
static uint32_t n_mounts;
static struct proto_kv cgroup[MAX_LIST];
static uint32_t n_cgroup;

static void add_default_mounts(void)
{
	static const char *o_proc[] = { "nosuid", "noexec", "nodev" };
	static const char *o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k" };
	static const char *o_pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
				       "mode=0620" };
	static const char *o_shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" };
	static const char *o_sys[] = { "nosuid", "noexec", "nodev", "ro" };

	mounts[n_mounts++] = (struct proto_mount){ "proc", "/proc", "proc", { 3, o_proc } };
	mounts[n_mounts++] = (struct proto_mount){ "tmpfs", "/dev", "tmpfs", { 4, o_dev } };
	mounts[n_mounts++] = (struct proto_mount){ "devpts", "/dev/pts", "devpts", { 5, o_pts } };
	mounts[n_mounts++] = (struct proto_mount){ "shm", "/dev/shm", "tmpfs", { 5, o_shm } };
	mounts[n_mounts++] = (struct proto_mount){ "sysfs", "/sys", "sysfs", { 4, o_sys } };
}

static int add_mount(char *v)
{
	char *src = strtok(v, ":"), *dst = strtok(NULL, ":"), *type = strtok(NULL, ":");
	char *opts = strtok(NULL, "");
	const char **o = calloc(MAX_LIST, sizeof(*o));
	uint32_t n = 0;

	if (!src || !dst || !type || !o || n_mounts == MAX_LIST)
		return -EINVAL;
	for (char *t = opts ? strtok(opts, ",") : NULL; t && n < MAX_LIST; t = strtok(NULL, ","))
		o[n++] = t;
	mounts[n_mounts++] = (struct proto_mount){ src, dst, type, { n, o } };
	return 0;
}

static int parse_namespaces(const char *v, uint32_t *ns)
{
	char *copy = strdup(v), *save = NULL;
	int ret = 0;

	*ns = 0;
	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t && !ret; t = strtok_r(NULL, ",", &save)) {
		int n = strcmp(t, "none") ? proto_ns_from_name(t) : 0;

		if (n < 0)
			ret = -EINVAL;
		else
			*ns |= (uint32_t)n;
	}
	free(copy);
	return ret;
}

static int option(struct proto_spec *s, const char *name, char *v)
{
	struct proto_process *p = &s->process;
	unsigned a, b;

	if (!strcmp(name, "--id"))
		s->id = v;
	else if (!strcmp(name, "--root-tag"))
		s->root_tag = v;
	else if (!strcmp(name, "--rootfs"))
		s->root_path = v;
	else if (!strcmp(name, "--size") && sscanf(v, "%ux%u", &a, &b) == 2 && a < 65536 &&
		 b < 65536)
		p->rows = (uint16_t)a, p->cols = (uint16_t)b;
	else if (!strcmp(name, "--env") && n_env < MAX_LIST)
		env[n_env++] = v;
	else if (!strcmp(name, "--cwd"))
		p->cwd = v;
	else if (!strcmp(name, "--user") && sscanf(v, "%u:%u", &a, &b) == 2)
		p->uid = a, p->gid = b;
	else if (!strcmp(name, "--hostname"))
		s->hostname = v;
	else if (!strcmp(name, "--namespaces"))
		return parse_namespaces(v, &s->namespaces);
	else if (!strcmp(name, "--mount"))
		return add_mount(v);
	else if (!strcmp(name, "--cgroup") && strchr(v, '=') && n_cgroup < MAX_LIST) {
		char *eq = strchr(v, '=');

		*eq = 0;
		cgroup[n_cgroup++] = (struct proto_kv){ v, eq + 1 };
	} else if (!strcmp(name, "--extra") && p->n_extra < PROTO_MAX_EXTRA_FDS) {
		uint32_t d = !strcmp(v, "in") ? PROTO_EXTRA_IN : !strcmp(v, "out") ? PROTO_EXTRA_OUT
			     : !strcmp(v, "both") ? PROTO_EXTRA_BOTH : 0;

		if (!d)
			return -EINVAL;
		p->extra[p->n_extra++].dir = d;
	} else
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct proto_spec s = { .id = "test", .root_tag = "", .root_path = "/", .hostname = "",
				.domainname = "" };
	struct proto_process *p = &s.process;
	const char *out = NULL;
	bool mounts_default = true;
	struct proto_buf b;
	int i, fd, ret;

	s.namespaces = PROTO_NS_PID | PROTO_NS_UTS | PROTO_NS_IPC | PROTO_NS_NET;
	p->cwd = "/";
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(a, "--terminal")) {
			p->flags |= PROTO_PROC_TERMINAL;
		} else if (!strcmp(a, "--readonly")) {
			s.flags |= PROTO_SPEC_ROOT_RO;
		} else if (!strcmp(a, "--clear-env")) {
			n_env = 0;
		} else if (!strcmp(a, "--no-mounts")) {
			mounts_default = false;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			out = argv[++i];
		} else if (i + 1 < argc && !option(&s, a, argv[i + 1])) {
			i++;
		} else {
			fprintf(stderr, "mkspec: bad option %s\n%s", a, usage);
			return 2;
		}
	}
	if (!out || i == argc) {
		fprintf(stderr, "mkspec: need -o FILE and the process's ARGS\n%s", usage);
		return 2;
	}
	if (mounts_default) {
		struct proto_mount extra[MAX_LIST];
		uint32_t n = n_mounts;

		/* The defaults go first, as in runc's config.json. */
		memcpy(extra, mounts, n * sizeof(*extra));
		n_mounts = 0;
		add_default_mounts();
		memcpy(mounts + n_mounts, extra, n * sizeof(*extra));
		n_mounts += n;
	}
	p->args = (struct proto_strv){ (uint32_t)(argc - i), (const char **)argv + i };
	p->env = (struct proto_strv){ n_env, env };
	s.mounts = mounts;
	s.n_mounts = n_mounts;
	s.cgroup = cgroup;
	s.n_cgroup = n_cgroup;
	proto_buf_init(&b);
	ret = proto_enc_spec(&b, 0, &s);
	if (ret) {
		fprintf(stderr, "mkspec: encoding: %s\n", strerror(-ret));
		return 1;
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || util_write_full(fd, b.data, b.len) || close(fd)) {
		fprintf(stderr, "mkspec: %s: %s\n", out, strerror(errno));
		return 1;
	}
	proto_buf_fini(&b);
	return 0;
}
