/* Unit tests of runvm-init's seccomp translation: a profile with argument
 * conditions is loaded in a child (with no_new_privs, so no root is needed) and
 * the child's syscalls show what the filter does. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest-init/gi.h"
#include "tests/unit/tap.h"

static const char *mk[] = { "mkdir", "mkdirat", "no_such_syscall" };
static const char *pers[] = { "personality" };
static const char *um[] = { "umask" };
static const char *kl[] = { "kill" };
static const char *gp[] = { "getppid" };
static const char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86" };
static struct proto_scmp_arg a_pers = { 0, PROTO_SCMP_EQ, 0xffffffff, 0 };
static struct proto_scmp_arg a_um = { 0, PROTO_SCMP_MASKED_EQ, 0700, 0700 };
static struct proto_scmp_arg a_kill[] = { { 1, PROTO_SCMP_EQ, SIGUSR1, 0 },
					  { 1, PROTO_SCMP_EQ, SIGUSR2, 0 } };
static struct proto_scmp_rule rules[] = {
	{ { 3, mk }, PROTO_SCMP_ERRNO, EPERM, 0, NULL },
	{ { 1, pers }, PROTO_SCMP_ERRNO, ENOTSUP, 1, &a_pers },
	{ { 1, um }, PROTO_SCMP_ERRNO, EACCES, 1, &a_um },
	{ { 1, kl }, PROTO_SCMP_ERRNO, EPERM, 2, a_kill },
	{ { 1, gp }, PROTO_SCMP_ALLOW, 0, 0, NULL }, /* same as the default: skipped */
};

/* Runs the checks in a child; its results come back through a pipe. */
static void check(const struct proto_seccomp *sc)
{
	int fds[2], res[8] = { 0 }, st;
	pid_t pid;

	(void)!pipe(fds);
	pid = fork();
	if (pid == 0) {
		struct gi_err e = { 0 };

		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		res[0] = gi_seccomp_load(sc, &e);
		res[1] = mkdir("/tmp/test_gi_seccomp.dir", 0700) ? errno : 0;
		res[2] = syscall(SYS_personality, 0xffffffffUL) < 0 ? errno : 0;
		res[3] = syscall(SYS_personality, PER_LINUX) < 0 ? errno : 0;
		res[4] = syscall(SYS_umask, 0777) < 0 ? errno : 0;
		res[5] = syscall(SYS_umask, 0022) < 0 ? errno : 0;
		res[6] = kill(getpid(), SIGUSR1) ? errno : 0;
		res[7] = kill(getpid(), SIGUSR2) ? errno : 0;
		(void)!write(fds[1], res, sizeof(res));
		_exit(0);
	}
	close(fds[1]);
	(void)!read(fds[0], res, sizeof(res));
	close(fds[0]);
	waitpid(pid, &st, 0);
	rmdir("/tmp/test_gi_seccomp.dir");
	is_int(res[0], 0, "the profile loads (unknown syscalls and default-action rules skipped)");
	is_int(res[1], EPERM, "mkdir fails with EPERM");
	is_int(res[2], ENOTSUP, "personality(0xffffffff) matches SCMP_CMP_EQ");
	is_int(res[3], 0, "personality(PER_LINUX) does not");
	is_int(res[4], EACCES, "umask(0777) matches SCMP_CMP_MASKED_EQ 0700/0700");
	is_int(res[5], 0, "umask(0022) does not");
	ok(res[6] == EPERM && res[7] == EPERM,
	   "two conditions on one argument: each denies (split into rules, as runc does)");
	ok(WIFEXITED(st), "the child lived through it");
}

int main(void)
{
	struct proto_seccomp sc = {
		.default_action = PROTO_SCMP_ALLOW,
		.archs = { 2, archs },
		.n_rules = sizeof(rules) / sizeof(rules[0]),
		.rules = rules,
	};
	const char *bad[] = { "SCMP_ARCH_NOPE" };
	struct gi_err e = { 0 };

	check(&sc);
	sc.archs = (struct proto_strv){ 1, bad };
	ok(gi_seccomp_load(&sc, &e) == -EINVAL && strstr(e.msg, "SCMP_ARCH_NOPE"),
	   "an unknown architecture is refused by name (before anything is loaded)");
	return tap_done();
}
