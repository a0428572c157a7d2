/* runvm-init: PID 1 of a runvm guest and the agent the host talks to.
 *
 *   runvm-init                          as PID 1 (the VM): mount the guest's own
 *                                       filesystems, connect to the host over vsock,
 *                                       run the container, report, power off
 *   runvm-init --agent-unix PREFIX      the agent alone on a bare machine (tests):
 *        [--port N] [--cgroup-root DIR] "connect to host port P" is the Unix socket
 *                                       PREFIX_P; exits with the container's status
 *
 * Kernel command line (VM): runvm.port=N overrides the control port. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>

#include "common/util.h"
#include "guest-init/gi.h"

static int usage(FILE *f, int status)
{
	fprintf(f, "usage: runvm-init                 (as PID 1 of a runvm guest)\n"
		   "       runvm-init --agent-unix PREFIX [--port N] [--cgroup-root DIR]\n"
		   "       runvm-init --version | --help\n"
		   "PID 1 and agent of a runvm guest; the agent mode runs on a bare machine,\n"
		   "connecting to the Unix sockets PREFIX_<port> instead of vsock.\n");
	return status;
}

static bool parse_port(const char *s, uint32_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v || v > 0xffffffffUL)
		return false;
	*port = (uint32_t)v;
	return true;
}

/* PID 1: never returns. Whatever happens, the VM resets at the end, so that a
 * failure is a message and an exit of the VMM, never a hang or a panic. */
static void vm_main(struct gi_opts *o)
{
	char cmdline[4096] = "", val[32];
	struct gi_err boot = { 0 };
	int fd, status;

	/* A failure is reported to the host by the agent, as FATAL. */
	gi_boot_mounts(&boot);
	gi_stdio_fill();
	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = util_read_full(fd, cmdline, sizeof(cmdline) - 1);

		cmdline[n > 0 ? n : 0] = 0;
		close(fd);
	}
	if (!gi_cmdline_get(cmdline, "runvm.port", val, sizeof(val)) && !parse_port(val, &o->port))
		gi_log("ignoring runvm.port=%s", val);
	o->boot_error = &boot;
	if (gi_agent_run(o, &status))
		gi_log("the agent stopped before the container ended; powering off");
	gi_poweroff();
}

int main(int argc, char **argv)
{
	struct gi_opts o = { .port = PROTO_CONTROL_PORT };
	int status;

	if (argc == 1 && getpid() == 1) {
		o.vm = true;
		o.cgroup_root = "/sys/fs/cgroup";
		vm_main(&o);
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--version") || !strcmp(a, "-v")) {
			printf("runvm-init version %s\ncommit: %s\n", RUNVM_VERSION, RUNVM_COMMIT);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			return usage(stdout, 0);
		} else if (!strcmp(a, "--agent-unix") && v) {
			o.transport.unix_prefix = v;
		} else if (!strcmp(a, "--cgroup-root") && v) {
			o.cgroup_root = v;
		} else if (!strcmp(a, "--port") && v && parse_port(v, &o.port)) {
		} else {
			fprintf(stderr, "runvm-init: unknown or incomplete option %s\n", a);
			return usage(stderr, 2);
		}
		i++;
	}
	if (!o.transport.unix_prefix)
		return usage(stderr, 2);
	/* Inherited fds (a test harness's pipes) must not be held by the agent or
	 * leak into the container. */
	close_range(3, ~0U, 0);
	gi_stdio_fill();
	if (gi_agent_run(&o, &status))
		return 255;
	return status;
}
