/* Guest RAM allocation and guest-physical address translation. */
#include "vmm/mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void mem_layout(struct guest_mem *m)
{
	uint64_t low = m->size < MEM_HOLE_START ? m->size : MEM_HOLE_START;

	m->nr = 1;
	m->r[0] = (struct mem_region){ .gpa = 0, .size = low, .host = m->base, .offset = 0 };
	if (m->size > low) {
		m->nr = 2;
		m->r[1] = (struct mem_region){ .gpa = MEM_HOLE_END,
					       .size = m->size - low,
					       .host = m->base + low,
					       .offset = low };
	}
}

int mem_init(struct guest_mem *m, uint64_t bytes)
{
	int err;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (bytes == 0 || bytes % 4096)
		return -EINVAL;
	m->fd = memfd_create("runvm-guest-ram", MFD_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (ftruncate(m->fd, (off_t)bytes) < 0)
		goto fail;
	/* Shared so a vhost-user backend mapping the same memfd sees our writes;
	 * NORESERVE so untouched guest pages cost the host nothing. */
	m->base = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, m->fd, 0);
	if (m->base == MAP_FAILED) {
		m->base = NULL;
		goto fail;
	}
	/* Guest RAM in a core dump would be huge and may hold tenant secrets. */
	madvise(m->base, bytes, MADV_DONTDUMP);
	m->size = bytes;
	mem_layout(m);
	return 0;
fail:
	err = -errno;
	close(m->fd);
	m->fd = -1;
	return err;
}

void mem_fini(struct guest_mem *m)
{
	if (m->base && m->fd >= 0)
		munmap(m->base, m->size);
	if (m->fd >= 0)
		close(m->fd);
	m->base = NULL;
	m->fd = -1;
	m->nr = 0;
}

void mem_init_fake(struct guest_mem *m, void *buf, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	m->base = buf;
	m->size = size;
	m->nr = 1;
	m->r[0] = (struct mem_region){ .gpa = 0, .size = size, .host = buf, .offset = 0 };
}

void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->r[i];

		if (gpa < r->gpa)
			continue;
		uint64_t off = gpa - r->gpa;

		if (off >= r->size || len > r->size - off)
			continue;
		return r->host + off;
	}
	return NULL;
}

uint64_t mem_end(const struct guest_mem *m)
{
	if (m->nr == 0)
		return 0;
	return m->r[m->nr - 1].gpa + m->r[m->nr - 1].size;
}
