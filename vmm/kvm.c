/* The KVM VM: /dev/kvm, the VM fd, in-kernel interrupt controllers and PIT, the
 * Intel-only TSS and identity-map pages, RAM slots, and interrupt lines. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/vmm.h"

/* Intel VMX needs three pages for real-mode emulation below 4 GiB, outside RAM
 * and outside the MMIO devices: just below the IOAPIC/LAPIC area's end. */
#define VMM_TSS_ADDR 0xfffbd000ull
#define VMM_IDENTITY_MAP_ADDR 0xfffbc000ull

static int vmm_kvm_check_caps(struct vmm *v)
{
	static const struct {
		int cap;
		const char *name;
	} need[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_IOEVENTFD, "ioeventfd" },
		{ KVM_CAP_IRQFD, "irqfd" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit" },
	};

	for (unsigned i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		if (ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, need[i].cap) <= 0) {
			log_error("KVM lacks a capability runvm needs: %s", need[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int vmm_kvm_irqchip(struct vmm *v)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

	if (ioctl(v->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_TSS_ADDR) < 0) {
		log_error("KVM_SET_TSS_ADDR: %s", strerror(errno));
		return -errno;
	}
	uint64_t idmap = VMM_IDENTITY_MAP_ADDR;

	if (ioctl(v->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
		log_error("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		log_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	if (ioctl(v->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		log_error("KVM_CREATE_PIT2: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int vmm_kvm_open(struct vmm *v)
{
	int ret;

	v->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm_fd < 0) {
		ret = -errno;
		log_error("cannot open /dev/kvm: %s (run `runvm-vmm --probe`)", strerror(errno));
		return ret;
	}
	ret = ioctl(v->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		log_error("/dev/kvm speaks API version %d, runvm needs %d", ret, KVM_API_VERSION);
		return -ENOTSUP;
	}
	ret = vmm_kvm_check_caps(v);
	if (ret)
		return ret;
	ret = ioctl(v->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run)) {
		log_error("KVM_GET_VCPU_MMAP_SIZE: %s", ret < 0 ? strerror(errno) : "too small");
		return -ENOTSUP;
	}
	v->run_size = (size_t)ret;
	v->vm_fd = ioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	if (v->vm_fd < 0) {
		ret = -errno;
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		return ret;
	}
	fcntl(v->vm_fd, F_SETFD, FD_CLOEXEC);
	return vmm_kvm_irqchip(v);
}

int vmm_kvm_add_memory(struct vmm *v)
{
	for (unsigned i = 0; i < v->mem.nr; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = v->mem.r[i].gpa,
			.memory_size = v->mem.r[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)v->mem.r[i].host,
		};

		if (ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
			int err = -errno;

			log_error("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
			return err;
		}
	}
	return 0;
}

void vmm_set_irq_line(void *opaque, int irq, int level)
{
	struct vmm *v = opaque;
	struct kvm_irq_level l = { .irq = (uint32_t)irq, .level = (uint32_t)level };

	if (ioctl(v->vm_fd, KVM_IRQ_LINE, &l) < 0)
		log_warn("KVM_IRQ_LINE %d: %s", irq, strerror(errno));
}
