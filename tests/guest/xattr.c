/* Guest-side test helper (busybox has no setfattr/getfattr): extended attributes
 * of a file, without following a final symlink.
 *   xattr set FILE NAME VALUE | get FILE NAME | rm FILE NAME | list FILE
 * list prints the names sorted, one per line. Errors: "xattr: OP FILE: <strerror>"
 * on stdout (so host and guest runs compare line by line), exit status 1. The same
 * static binary runs on the host for the comparison runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static int fail(const char *op, const char *file)
{
	printf("xattr: %s %s: %s\n", op, file, strerror(errno));
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *file)
{
	static char buf[65536];
	char *names[1024];
	ssize_t n = llistxattr(file, buf, sizeof(buf));
	size_t k = 0;

	if (n < 0)
		return fail("list", file);
	for (char *p = buf; p < buf + n && k < 1024; p += strlen(p) + 1)
		names[k++] = p;
	qsort(names, k, sizeof(names[0]), cmp);
	for (size_t i = 0; i < k; i++)
		printf("%s\n", names[i]);
	return 0;
}

int main(int argc, char **argv)
{
	static char val[65536];
	ssize_t n;

	if (argc == 5 && !strcmp(argv[1], "set"))
		return lsetxattr(argv[2], argv[3], argv[4], strlen(argv[4]), 0) ? fail("set", argv[2]) : 0;
	if (argc == 4 && !strcmp(argv[1], "get")) {
		n = lgetxattr(argv[2], argv[3], val, sizeof(val) - 1);
		if (n < 0)
			return fail("get", argv[2]);
		val[n] = 0;
		printf("%s\n", val);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "rm"))
		return lremovexattr(argv[2], argv[3]) ? fail("rm", argv[2]) : 0;
	if (argc == 3 && !strcmp(argv[1], "list"))
		return list(argv[2]);
	fprintf(stderr, "usage: xattr set FILE NAME VALUE | get FILE NAME | rm FILE NAME | list FILE\n");
	return 2;
}
