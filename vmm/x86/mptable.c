/* The Intel MultiProcessor Specification 1.4 tables: the guest has no ACPI, so
 * this is how it learns about its vCPUs, the IOAPIC and how ISA IRQs reach it.
 * The floating pointer sits in the last KiB below 640K, one of the places the
 * kernel scans; the config table follows it inside the e820-reserved window. */
#include "vmm/x86/boot.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#define MP_SPEC_REV 4 /* 1.4 */
#define MP_LAPIC_VERSION 0x14 /* what KVM's LAPIC reports */
#define MP_IOAPIC_VERSION 0x11 /* KVM's IOAPIC: 24 redirection entries */
#define MP_BUS_ISA 0

enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_INTSRC = 3, MP_LINTSRC = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define MP_CPU_ENABLED 0x01
#define MP_CPU_BSP 0x02
#define MP_IOAPIC_ENABLED 0x01
#define MP_ALL_LAPICS 0xff
/* Family 6, and CPUID.1:EDX FPU|APIC: the kernel only logs these. */
#define MP_CPU_SIGNATURE 0x600
#define MP_CPU_FEATURES ((1u << 0) | (1u << 9))

/* Signatures and ids are fixed-width fields, not C strings. */
#if defined(__has_attribute) && __has_attribute(nonstring)
#define MP_NONSTRING __attribute__((nonstring))
#else
#define MP_NONSTRING
#endif

struct mp_floating {
	char signature[4] MP_NONSTRING;
	uint32_t config_gpa;
	uint8_t length; /* in 16-byte units */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5]; /* all 0: config table present, virtual-wire mode (no IMCR) */
} __attribute__((packed));

struct mp_config {
	char signature[4] MP_NONSTRING;
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8] MP_NONSTRING;
	char product[12] MP_NONSTRING;
	uint32_t oem_table;
	uint16_t oem_size;
	uint16_t count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type, apic_id, apic_version, flags;
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, bus_id;
	char bus_type[6] MP_NONSTRING;
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, id, version, flags;
	uint32_t addr;
} __attribute__((packed));

/* Both the I/O and the local interrupt assignment entries have this shape. */
struct mp_irq {
	uint8_t type, irq_type;
	uint16_t flags; /* 0: polarity and trigger conform to the bus (ISA: edge, high) */
	uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer");
static_assert(sizeof(struct mp_config) == 44, "MP config header");
static_assert(sizeof(struct mp_processor) == 20, "MP processor entry");
static_assert(sizeof(struct mp_bus) == 8 && sizeof(struct mp_ioapic) == 8 &&
		      sizeof(struct mp_irq) == 8,
	      "MP 8-byte entries");

#define MP_NR_LINT 2

static uint64_t mp_size(unsigned ncpus)
{
	return sizeof(struct mp_floating) + sizeof(struct mp_config) +
	       ncpus * sizeof(struct mp_processor) + sizeof(struct mp_bus) +
	       sizeof(struct mp_ioapic) + (X86_IOAPIC_PINS + MP_NR_LINT) * sizeof(struct mp_irq);
}

static_assert(X86_MPTABLE_GPA + sizeof(struct mp_floating) + sizeof(struct mp_config) +
			      X86_MAX_CPUS * sizeof(struct mp_processor) + 8 + 8 +
			      (X86_IOAPIC_PINS + MP_NR_LINT) * 8 <=
		      X86_HIMEM_GPA,
	      "the MP table fits in the reserved window below 1 MiB");
static_assert(X86_MAX_CPUS < 0xff, "IOAPIC id = ncpus must be a valid xAPIC id");

static uint8_t mp_checksum(const uint8_t *p, uint64_t len)
{
	uint8_t sum = 0;

	for (uint64_t i = 0; i < len; i++)
		sum += p[i];
	return (uint8_t)(0x100 - sum);
}

/* Appends one entry at *cur and advances it. */
static void mp_put(uint8_t **cur, const void *entry, size_t len)
{
	memcpy(*cur, entry, len);
	*cur += len;
}

static void mp_put_cpus(uint8_t **cur, unsigned ncpus)
{
	for (unsigned i = 0; i < ncpus; i++) {
		struct mp_processor p = {
			.type = MP_PROCESSOR,
			.apic_id = (uint8_t)i,
			.apic_version = MP_LAPIC_VERSION,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = MP_CPU_SIGNATURE,
			.features = MP_CPU_FEATURES,
		};

		mp_put(cur, &p, sizeof(p));
	}
}

/* Every IOAPIC pin gets an ISA source with the same number, matching KVM's
 * default GSI routing; virtio-mmio devices use pins 5..23 through this. */
static void mp_put_irqs(uint8_t **cur, uint8_t ioapic_id)
{
	struct mp_irq lint[MP_NR_LINT] = {
		{ .type = MP_LINTSRC, .irq_type = MP_EXTINT, .src_bus = MP_BUS_ISA,
		  .dst_apic = MP_ALL_LAPICS, .dst_pin = 0 },
		{ .type = MP_LINTSRC, .irq_type = MP_NMI, .src_bus = MP_BUS_ISA,
		  .dst_apic = MP_ALL_LAPICS, .dst_pin = 1 },
	};

	for (unsigned pin = 0; pin < X86_IOAPIC_PINS; pin++) {
		struct mp_irq e = { .type = MP_INTSRC, .irq_type = MP_INT, .src_bus = MP_BUS_ISA,
				    .src_irq = (uint8_t)pin, .dst_apic = ioapic_id,
				    .dst_pin = (uint8_t)pin };

		mp_put(cur, &e, sizeof(e));
	}
	mp_put(cur, lint, sizeof(lint));
}

static void mp_put_config(uint8_t *base, unsigned ncpus)
{
	struct mp_bus bus = { .type = MP_BUS, .bus_id = MP_BUS_ISA, .bus_type = "ISA   " };
	struct mp_ioapic io = { .type = MP_IOAPIC, .id = (uint8_t)ncpus,
				.version = MP_IOAPIC_VERSION, .flags = MP_IOAPIC_ENABLED,
				.addr = X86_IOAPIC_GPA };
	struct mp_config hdr = {
		.signature = "PCMP",
		.spec_rev = MP_SPEC_REV,
		.oem = "RUNVM   ",
		.product = "MICROVM     ",
		.count = (uint16_t)(ncpus + 2 + X86_IOAPIC_PINS + MP_NR_LINT),
		.lapic = X86_LAPIC_GPA,
	};
	uint8_t *cur = base + sizeof(hdr);

	mp_put_cpus(&cur, ncpus);
	mp_put(&cur, &bus, sizeof(bus));
	mp_put(&cur, &io, sizeof(io));
	mp_put_irqs(&cur, io.id);
	hdr.length = (uint16_t)(cur - base);
	memcpy(base, &hdr, sizeof(hdr));
	base[offsetof(struct mp_config, checksum)] = mp_checksum(base, hdr.length);
}

int x86_setup_mptable(const struct guest_mem *m, unsigned ncpus)
{
	uint64_t size = mp_size(ncpus);
	uint8_t *p;
	struct mp_floating mpf = {
		.signature = "_MP_",
		.config_gpa = (uint32_t)(X86_MPTABLE_GPA + sizeof(mpf)),
		.length = 1,
		.spec_rev = MP_SPEC_REV,
	};

	if (ncpus == 0 || ncpus > X86_MAX_CPUS)
		return -EINVAL;
	p = mem_ptr(m, X86_MPTABLE_GPA, size);
	if (!p)
		return -EFAULT;
	memset(p, 0, size);
	mpf.checksum = mp_checksum((const uint8_t *)&mpf, sizeof(mpf));
	memcpy(p, &mpf, sizeof(mpf));
	mp_put_config(p + sizeof(mpf), ncpus);
	return 0;
}
