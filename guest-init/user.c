/* The process's own setup between fork and exec: rlimits, oom_score_adj, the
 * capability bounding set, uid/gid/groups, the other capability sets, the
 * environment (HOME from the container's /etc/passwd, as runc adds it), and the
 * executable's lookup in PATH with runc's (Go exec.LookPath's) error wording. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "guest-init/gi.h"

int gi_rlimits_apply(const struct proto_process *p, struct gi_err *e)
{
	for (uint32_t i = 0; i < p->n_rlimits; i++) {
		const struct proto_rlimit *r = &p->rlimits[i];
		struct rlimit64 rl = { .rlim_cur = r->soft, .rlim_max = r->hard };

		if (setrlimit64((__rlimit_resource_t)r->type, &rl))
			return gi_failerr(e, -errno, "error setting rlimit type %u", r->type);
	}
	return 0;
}

int gi_oom_score_apply(const struct proto_process *p, struct gi_err *e)
{
	char v[16];
	int ret;

	if (!(p->flags & PROTO_PROC_OOM_SCORE))
		return 0;
	snprintf(v, sizeof(v), "%d", p->oom_score_adj);
	ret = gi_write_at(AT_FDCWD, "/proc/self/oom_score_adj", v);
	return ret ? gi_failerr(e, ret, "oom_score_adj %d", p->oom_score_adj) : 0;
}

static bool gi_cap_has(const struct proto_process *p, int set, unsigned cap)
{
	return cap < 64 && (p->caps[set] >> cap & 1);
}

/* Dropped while still root: it needs CAP_SETPCAP. */
int gi_bounding_apply(const struct proto_process *p, struct gi_err *e)
{
	unsigned max = (unsigned)cap_max_bits();

	if (!(p->flags & PROTO_PROC_CAPS))
		return 0;
	for (unsigned cap = 0; cap < max; cap++)
		if (!gi_cap_has(p, PROTO_CAP_BOUNDING, cap) && cap_drop_bound((cap_value_t)cap) &&
		    errno != EINVAL)
			return gi_failerr(e, -errno, "dropping capability %u from the bounding set", cap);
	return 0;
}

/* The gid first, then additionalGids, as runc sets groups for "uid:gid". */
int gi_user_apply(const struct proto_process *p, struct gi_err *e)
{
	gid_t groups[PROTO_MAX_GIDS + 1];

	groups[0] = p->gid;
	for (uint32_t i = 0; i < p->n_gids; i++)
		groups[i + 1] = p->gids[i];
	if (setgroups(p->n_gids + 1, groups))
		return gi_failerr(e, -errno, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid))
		return gi_failerr(e, -errno, "setgid %u", p->gid);
	/* Keep the permitted set across setuid; gi_caps_apply trims it next. */
	if (p->flags & PROTO_PROC_CAPS && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return gi_failerr(e, -errno, "keepcaps");
	if (setresuid(p->uid, p->uid, p->uid))
		return gi_failerr(e, -errno, "setuid %u", p->uid);
	return 0;
}

int gi_caps_apply(const struct proto_process *p, struct gi_err *e)
{
	static const struct {
		int set;
		cap_flag_t flag;
	} sets[] = { { PROTO_CAP_EFFECTIVE, CAP_EFFECTIVE },
		     { PROTO_CAP_PERMITTED, CAP_PERMITTED },
		     { PROTO_CAP_INHERITABLE, CAP_INHERITABLE } };
	unsigned max = (unsigned)cap_max_bits();
	cap_t c;
	int ret = 0;

	if (!(p->flags & PROTO_PROC_CAPS))
		return 0;
	c = cap_init();
	if (!c)
		return gi_failerr(e, -ENOMEM, "capabilities");
	for (unsigned cap = 0; cap < max; cap++)
		for (size_t i = 0; i < ARRAY_SIZE(sets); i++) {
			cap_value_t v = (cap_value_t)cap;

			if (gi_cap_has(p, sets[i].set, cap))
				cap_set_flag(c, sets[i].flag, 1, &v, CAP_SET);
		}
	if (cap_set_proc(c))
		ret = gi_failerr(e, -errno, "capset");
	cap_free(c);
	/* The ambient set only takes capabilities both permitted and inheritable;
	 * like runc, a request outside them is not an error. */
	cap_reset_ambient();
	for (unsigned cap = 0; !ret && cap < max; cap++)
		if (gi_cap_has(p, PROTO_CAP_AMBIENT, cap))
			cap_set_ambient((cap_value_t)cap, CAP_SET);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return ret;
}

/* Field i (0-based) of a colon-separated line, copied into out. */
static bool gi_field(const char *line, int i, char *out, size_t size)
{
	const char *p = line;
	size_t n;

	while (i-- > 0) {
		p = strchr(p, ':');
		if (!p)
			return false;
		p++;
	}
	n = strcspn(p, ":\n");
	if (n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

int gi_passwd_home(const char *passwd, uint32_t uid, char *home, size_t size)
{
	FILE *f = fopen(passwd, "re");
	char line[1024], id[16];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		if (!gi_field(line, 2, id, sizeof(id)) || strtoul(id, NULL, 10) != uid || !id[0])
			continue;
		if (gi_field(line, 5, home, size))
			ret = 0;
	}
	fclose(f);
	return ret;
}

char **gi_env_build(const struct proto_process *p)
{
	char **env = calloc((size_t)p->env.n + 2, sizeof(*env));
	bool home = false;
	uint32_t n = 0;

	if (!env)
		return NULL;
	for (uint32_t i = 0; i < p->env.n; i++) {
		env[n++] = (char *)p->env.v[i];
		home |= !strncmp(p->env.v[i], "HOME=", 5);
	}
	if (!home) {
		char dir[PROTO_MAX_PATH];
		static char var[PROTO_MAX_PATH + 8];

		if (gi_passwd_home("/etc/passwd", p->uid, dir, sizeof(dir)) || !dir[0])
			strcpy(dir, "/");
		snprintf(var, sizeof(var), "HOME=%s", dir);
		env[n++] = var;
	}
	return env;
}

/* Go's findExecutable: a regular file or other non-directory with an x bit. */
static int gi_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}

int gi_lookpath(const char *file, char *const *envp, char *out, size_t size, struct gi_err *e)
{
	const char *path = "";
	int ret;

	if (strchr(file, '/')) {
		ret = gi_executable(file);
		if (ret == -EACCES)
			return gi_fail(e, ret, "exec: \"%s\": permission denied", file);
		if (ret)
			return gi_fail(e, ret, "exec: \"%s\": stat %s: %s", file, file,
				       ret == -ENOENT ? "no such file or directory" : strerror(-ret));
		snprintf(out, size, "%s", file);
		return 0;
	}
	for (char *const *v = envp; *v; v++)
		if (!strncmp(*v, "PATH=", 5))
			path = *v + 5;
	/* As Go's filepath.SplitList: no entries in an empty PATH, and an empty
	 * entry (leading, trailing or doubled colon) is the current directory. */
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n == 0)
			snprintf(out, size, "./%s", file);
		else
			snprintf(out, size, "%.*s/%s", (int)n, path, file);
		if (!gi_executable(out))
			return 0;
		if (!path[n])
			break;
		path += n + 1;
		if (!*path && !gi_executable(file))
			return snprintf(out, size, "./%s", file) < 0 ? -EIO : 0;
	}
	return gi_fail(e, -ENOENT, "exec: \"%s\": executable file not found in $PATH", file);
}
