/* Unit tests of runvm-init's cgroup code against a plain directory laid out like
 * a cgroup v2 root: controllers enabled, files written, OOM counts read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/test_gi_cgroup.XXXXXX";

static void put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
}

static int has(const char *name, const char *text)
{
	char p[256], buf[256] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	if (!f)
		return 0;
	(void)!fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	return strstr(buf, text) != NULL;
}

int main(void)
{
	struct proto_kv kv[] = { { "memory.max", "67108864" }, { "pids.max", "100" } };
	struct proto_kv bad[] = { { "../escape", "1" } };
	struct proto_spec s = { .n_cgroup = 2, .cgroup = kv };
	struct gi_err e = { 0 };
	char p[256];
	int fd = -1, procs = -1;
	uint64_t n = 0;

	if (!mkdtemp(dir))
		return 1;
	put("cgroup.subtree_control", "");
	snprintf(p, sizeof(p), "%s/c", dir);
	mkdir(p, 0755);
	put("c/cgroup.procs", "");
	put("c/memory.max", "");
	put("c/pids.max", "");
	is_int(gi_cgroup_create(dir, "c", &s, &fd, &procs, &e), 0, "the cgroup is set up");
	ok(has("c/memory.max", "67108864") && has("c/pids.max", "100"), "its files are written as given");
	ok(has("cgroup.subtree_control", "+pids"), "and the controller they need is enabled in the parent");
	ok(fd >= 0 && procs >= 0, "with fds for the directory and cgroup.procs");
	put("c/memory.events", "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 0\n");
	ok(!gi_cgroup_oom_count(fd, &n) && n == 2, "oom_kill is read from memory.events");
	close(fd);
	close(procs);
	s = (struct proto_spec){ .n_cgroup = 1, .cgroup = bad };
	ok(gi_cgroup_create(dir, "c", &s, &fd, &procs, &e) == -EINVAL && strstr(e.msg, "../escape"),
	   "a file name leaving the cgroup is refused");
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	(void)!system(p);
	return tap_done();
}
