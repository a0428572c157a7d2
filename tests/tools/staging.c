/* Test tool over common/staging: builds or removes a container's share staging
 * directory from the command line, as the runtime will (tests/bats/fs.bats).
 *   staging create STATE ROOTFS[:ro] [SRC[:ro]]...   prints "NAME SRC" per entry
 *   staging remove STATE
 * Exit status 0, or 1 with a message. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/staging.h"

/* Splits a trailing ":ro" off arg. */
static bool split_ro(char *arg)
{
	size_t n = strlen(arg);

	if (n > 3 && !strcmp(arg + n - 3, ":ro")) {
		arg[n - 3] = 0;
		return true;
	}
	return false;
}

static int create(int argc, char **argv)
{
	char name[STAGING_NAME_MAX];
	struct staging s;
	bool ro = split_ro(argv[3]);
	int ret = staging_create(&s, argv[2]);

	if (!ret)
		ret = staging_add_rootfs(&s, argv[3], ro);
	if (!ret)
		printf("%s %s\n", STAGING_ROOTFS, argv[3]);
	for (int i = 4; !ret && i < argc; i++) {
		ro = split_ro(argv[i]);
		ret = staging_add(&s, argv[i], ro, name, sizeof(name));
		if (!ret)
			printf("%s %s\n", name, argv[i]);
	}
	staging_fini(&s);
	if (ret)
		fprintf(stderr, "staging create %s: %s\n", argv[2], strerror(-ret));
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc >= 4 && !strcmp(argv[1], "create"))
		return create(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "remove")) {
		ret = staging_remove(argv[2]);
		if (ret)
			fprintf(stderr, "staging remove %s: %s\n", argv[2], strerror(-ret));
		return ret ? 1 : 0;
	}
	fprintf(stderr, "usage: staging create STATE ROOTFS[:ro] [SRC[:ro]]... | remove STATE\n");
	return 2;
}
