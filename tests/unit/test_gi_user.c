/* Unit tests of runvm-init's process setup helpers: the executable's lookup in
 * PATH with runc's error wording, HOME from passwd, the environment. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

static char dir[] = "/tmp/test_gi_user.XXXXXX";

static void file(const char *name, mode_t mode, const char *text)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, mode);
	(void)!write(fd, text, strlen(text));
	close(fd);
	chmod(p, mode);
}

static void test_lookpath(void)
{
	char path[512], envpath[600], out[512];
	char *env[] = { envpath, NULL }, *noenv[] = { "FOO=1", NULL };
	struct gi_err e;

	snprintf(envpath, sizeof(envpath), "PATH=/nonexistent:%s/bin", dir);
	memset(&e, 0, sizeof(e));
	ok(!gi_lookpath("tool", env, out, sizeof(out), &e) && strstr(out, "/bin/tool"),
	   "found in the second PATH entry");
	memset(&e, 0, sizeof(e));
	ok(gi_lookpath("plain", env, out, sizeof(out), &e) == -ENOENT &&
		   !strcmp(e.msg, "exec: \"plain\": executable file not found in $PATH"),
	   "a file without an x bit in PATH is skipped: runc's not-found wording");
	memset(&e, 0, sizeof(e));
	ok(gi_lookpath("tool", noenv, out, sizeof(out), &e) == -ENOENT,
	   "no PATH in the environment finds nothing");
	snprintf(path, sizeof(path), "%s/bin/plain", dir);
	memset(&e, 0, sizeof(e));
	ok(gi_lookpath(path, env, out, sizeof(out), &e) == -EACCES && strstr(e.msg, "\": permission denied"),
	   "a path to a non-executable file: permission denied");
	snprintf(path, sizeof(path), "%s/bin", dir);
	memset(&e, 0, sizeof(e));
	ok(gi_lookpath(path, env, out, sizeof(out), &e) == -EACCES, "a directory is not executable");
	memset(&e, 0, sizeof(e));
	ok(gi_lookpath("/no/such", env, out, sizeof(out), &e) == -ENOENT &&
		   !strcmp(e.msg, "exec: \"/no/such\": stat /no/such: no such file or directory"),
	   "a missing path: Go's stat wording");
}

static void test_home(void)
{
	char p[256], home[128];
	struct proto_process pr = { 0 };
	const char *env[] = { "A=1", "HOME=/custom" };
	char **envp;

	snprintf(p, sizeof(p), "%s/passwd", dir);
	ok(!gi_passwd_home(p, 1000, home, sizeof(home)) && !strcmp(home, "/home/u"), "HOME of uid 1000");
	ok(gi_passwd_home(p, 100, home, sizeof(home)) == -ENOENT, "a uid that is not there");
	ok(!gi_passwd_home(p, 0, home, sizeof(home)) && !strcmp(home, "/root"), "uid 0 is not uid 1000's prefix");
	pr.env = (struct proto_strv){ 2, env };
	envp = gi_env_build(&pr);
	ok(envp && !strcmp(envp[0], "A=1") && !strcmp(envp[1], "HOME=/custom") && !envp[2],
	   "a HOME in the spec is kept");
	free(envp);
	pr.env.n = 1;
	pr.uid = 4242424;
	envp = gi_env_build(&pr);
	ok(envp && !strcmp(envp[1], "HOME=/") && !envp[2], "HOME=/ for a user without a passwd entry");
	free(envp);
}

int main(void)
{
	char p[256];

	if (!mkdtemp(dir))
		return 1;
	snprintf(p, sizeof(p), "%s/bin", dir);
	mkdir(p, 0755);
	file("bin/tool", 0755, "#!/bin/sh\n");
	file("bin/plain", 0644, "data\n");
	file("passwd", 0644, "root:x:0:0:root:/root:/bin/sh\nbad line\nu:x:1000:1000::/home/u:/bin/sh\n");
	test_lookpath();
	test_home();
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	(void)!system(p);
	return tap_done();
}
