/* A tiny TAP harness for unit tests: one executable per module, TAP output, and a
 * final line "N passed, N failed". Include in exactly one file per test program. */
#ifndef RUNVM_TESTS_TAP_H
#define RUNVM_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                                              \
	do {                                                                                       \
		int tap_c = !!(cond); /* evaluated once: conditions may have effects */            \
		tap_n++;                                                                           \
		if (tap_c) {                                                                       \
			printf("ok %d - ", tap_n);                                                 \
		} else {                                                                           \
			tap_failed++;                                                              \
			printf("not ok %d - ", tap_n);                                             \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		if (!tap_c)                                                                        \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
	} while (0)

#define is_int(got, want, ...)                                                                     \
	do {                                                                                       \
		long long tap_g = (long long)(got), tap_w = (long long)(want);                     \
		ok(tap_g == tap_w, __VA_ARGS__);                                                   \
		if (tap_g != tap_w)                                                                \
			printf("#   got %lld, want %lld\n", tap_g, tap_w);                           \
	} while (0)

#define is_str(got, want, ...)                                                                     \
	do {                                                                                       \
		const char *tap_g = (got), *tap_w = (want);                                        \
		int tap_eq = tap_g && tap_w && strcmp(tap_g, tap_w) == 0;                          \
		ok(tap_eq, __VA_ARGS__);                                                           \
		if (!tap_eq)                                                                       \
			printf("#   got \"%s\", want \"%s\"\n", tap_g ? tap_g : "(null)",          \
			       tap_w ? tap_w : "(null)");                                          \
	} while (0)

#define skip(reason) printf("ok %d # SKIP %s\n", ++tap_n, reason)

/* Prints the plan and the summary line; use as `return tap_done();` in main. */
static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	printf("%d passed, %d failed\n", tap_n - tap_failed, tap_failed);
	return tap_failed ? 1 : 0;
}

#endif
