/* Guest-side test helper: writes the boot-time marker byte to the VMM's marker
 * port, as runvm-init does once it is up. */
#include <stdio.h>
#include <sys/io.h>

#define MARKER_PORT 0x3f0
#define MARKER_MAGIC 123

int main(void)
{
	if (ioperm(MARKER_PORT, 1, 1) < 0) {
		perror("marker: ioperm");
		return 1;
	}
	outb(MARKER_MAGIC, MARKER_PORT);
	return 0;
}
