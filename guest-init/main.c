/* runvm-init: PID 1 of the guest. Not implemented yet: this build only prints its
 * version and usage, and as PID 1 says so on the console and resets the VM rather
 * than pretending to run a container. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (getpid() == 1) {
		int fd = open("/dev/console", O_WRONLY | O_CLOEXEC);
		static const char msg[] = "runvm-init: container support is not implemented yet\n";

		if (fd >= 0)
			(void)!write(fd, msg, sizeof(msg) - 1);
		sync();
		reboot(RB_AUTOBOOT);
		for (;;)
			pause();
	}
	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v"))) {
		printf("runvm-init version %s\ncommit: %s\n", RUNVM_VERSION, RUNVM_COMMIT);
		return 0;
	}
	fprintf(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr,
		"usage: runvm-init [--version]\n"
		"PID 1 of a runvm guest; not meant to be run by hand.\n");
	return argc > 1 && !strcmp(argv[1], "--help") ? 0 : 1;
}
