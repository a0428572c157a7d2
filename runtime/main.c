/* runvm: the OCI runtime CLI. For now only --version and usage: the commands
 * arrive with the runtime issue, and until then every command says so plainly. */
#include <stdio.h>
#include <string.h>

#define RUNVM_SPEC_VERSION "1.1.0"

static void usage(FILE *f)
{
	fprintf(f, "usage: runvm [global options] COMMAND [options] [ID]\n"
		   "\n"
		   "An OCI runtime that runs every container in its own KVM microVM.\n"
		   "\n"
		   "Global options: --root DIR, --log FILE, --log-format text|json, --debug\n"
		   "Options: -v, --version   print the version\n"
		   "         -h, --help      print this help\n"
		   "\n"
		   "Not implemented yet: create, start, state, kill, delete, exec, ps, pause,\n"
		   "resume, update, run, list, spec, features, check.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "version")) {
		printf("runvm version %s\ncommit: %s\nspec: %s\n", RUNVM_VERSION, RUNVM_COMMIT,
		       RUNVM_SPEC_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "runvm: %s: not implemented yet\n", argv[1]);
	return 1;
}
