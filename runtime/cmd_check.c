/* runvm check: can this host run containers with runvm, in plain words. The VM
 * side (KVM, kernel, initramfs, virtiofsd) is runvm-vmm's own probe, run with the
 * files runvm would give it; the runtime adds what it needs itself (root for the
 * share's bind mounts, the cgroup hierarchy). Exit 0 when everything is ready. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "runtime/cgroup.h"
#include "runtime/rt.h"
#include "runtime/vmconf.h"

extern char **environ;

/* Runs `VMM --probe ...`, printing its report without its verdict line (ours
 * comes last and covers everything). true if the probe says yes. */
static bool check_vm_side(const struct rt_vm_files *f)
{
	char *argv[] = { (char *)f->vmm, "--probe", "--kernel", (char *)f->kernel, "--initrd",
			 (char *)f->initrd, f->virtiofsd[0] ? "--virtiofsd" : NULL,
			 (char *)f->virtiofsd, NULL };
	posix_spawn_file_actions_t fa;
	char line[1024];
	pid_t pid;
	FILE *in;
	int p[2], st = 0, r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	r = posix_spawn(&pid, f->vmm, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r) {
		printf("runvm-vmm NO: %s: %s\n", f->vmm, strerror(r));
		close(p[0]);
		return false;
	}
	in = fdopen(p[0], "r");
	while (in && fgets(line, sizeof(line), in))
		if (strncmp(line, "verdict", 7))
			fputs(line, stdout);
	if (in)
		fclose(in);
	else
		close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool check_host_side(void)
{
	bool ok = true;

	if (geteuid() == 0) {
		printf("root      yes\n");
	} else {
		printf("root      NO: runvm needs root (the VM's share is made of bind mounts)\n");
		ok = false;
	}
	if (access(RT_CGROUP_ROOT, F_OK) < 0)
		printf("cgroups   none mounted on " RT_CGROUP_ROOT ": linux.cgroupsPath cannot "
		       "be honoured\n");
	else
		printf("cgroups   %s on " RT_CGROUP_ROOT "\n",
		       rt_cgroup_v1(RT_CGROUP_ROOT) ? "v1 (or hybrid)" : "v2");
	/* Not a NO: containers without a network namespace path run without it. */
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		printf("network   no /dev/net/tun (modprobe tun): a network namespace given by path "
		       "cannot be attached\n");
	else
		printf("network   /dev/net/tun: a network namespace given by path is attached "
		       "through a tap\n");
	return ok;
}

int rt_cmd_check(const struct rt_globals *g, int argc, char **argv, struct rt_err *err)
{
	struct oci_config none;
	struct rt_vm_files f;
	struct rt_err ferr = { 0 };
	bool ok;

	(void)g;
	if (argc > 1)
		return rt_err_set(err, EINVAL, "\"check\" takes no arguments");
	memset(&none, 0, sizeof(none));
	if (rt_vm_files(&none, &f, &ferr) < 0) {
		printf("files     NO: %s\n", ferr.msg);
		ok = false;
	} else {
		printf("runvm-vmm %s\n", f.vmm);
		ok = check_vm_side(&f);
	}
	ok &= check_host_side();
	printf("verdict   %s\n", ok ? "runvm can run containers on this host"
				    : "runvm cannot run containers on this host as it is (see "
				      "the NO lines)");
	fflush(stdout);
	return ok ? 0 : rt_err_set(err, ENOTSUP, "this host is not ready for runvm");
}
