/* Writes seed inputs for fuzz_net (see its layout): sane rings in the RAM part (8 rx
 * buffers; tx frames with the header in one descriptor, split over several, and in
 * an indirect table), and a script that kicks both queues and sends host frames, with
 * and without EVENT_IDX and offloads. The fuzzer mutates from there. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RAM 0x10000u
#define SCRIPT 256

static uint8_t in[RAM + SCRIPT];

static void desc(uint32_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = in + table + 16u * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void avail(uint32_t ring, uint16_t idx, const uint16_t *heads)
{
	memcpy(in + ring + 2, &idx, 2);
	memcpy(in + ring + 4, heads, 2u * idx);
}

static void seed(const char *dir, const char *name, uint32_t features)
{
	static const uint16_t rxh[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, txh[3] = { 0, 1, 4 };
	uint8_t script[] = { 0, (uint8_t)features, (uint8_t)(features >> 8),
			     (uint8_t)(features >> 16), (uint8_t)(features >> 24), 3, 3,
			     1, 2, 0x40, 0, 0xab, 2, 0xee, 5, 0xcd, 0, 3, 0x10, 0x80, 0x42, 1, 0, 4 };
	char path[4096];
	FILE *f;

	memset(in, 0, sizeof(in));
	for (uint16_t i = 0; i < 8; i++)
		desc(0x0, i, 0x8000u + 0x600u * i, 12 + 1514, 2 /* WRITE */, 0);
	avail(0x1000, 8, rxh);
	/* tx 0: one descriptor; tx 1-3: header apart, frame in two; tx 4: indirect. */
	desc(0x4000, 0, 0xc000, 12 + 60, 0, 0);
	desc(0x4000, 1, 0xc400, 12, 1 /* NEXT */, 2);
	desc(0x4000, 2, 0xc410, 30, 1, 3);
	desc(0x4000, 3, 0xc430, 500, 0, 0);
	desc(0x4000, 4, 0xe000, 32, 4 /* INDIRECT */, 0);
	desc(0xe000, 0, 0xc800, 12, 1, 1);
	desc(0xe000, 1, 0xc810, 100, 0, 0);
	avail(0x5000, 3, txh);
	memset(in + 0xc000 + 12, 0xff, 6);
	memcpy(in + sizeof(in) - SCRIPT, script, sizeof(script));
	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(in, 1, sizeof(in), f);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	seed(argv[1], "plain", 1u << 5);
	seed(argv[1], "offloads", 1u << 5 | 1u << 0 | 1u << 1 | 1u << 11 | 1u << 12 | 1u << 3);
	seed(argv[1], "event-idx", 1u << 5 | 1u << 29 | 1u << 28);
	return 0;
}
