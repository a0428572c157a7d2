/* Guest-side benchmark helper (busybox date has no %N): prints CLOCK_MONOTONIC in
 * nanoseconds, so shell scripts can time steps in the guest and on the host alike. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%lld\n", (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec);
	return 0;
}
