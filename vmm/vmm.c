/* Assembling a VM from its configuration, running it, and tearing it down. Every
 * constructor step has its undo in vmm_destroy, which accepts a half-built VM. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "vmm/virtio/vsock.h"
#include "vmm/vmm.h"
#include "vmm/x86/boot.h"

/* In the style of Firecracker's default; panic=1 and reboot=k turn any guest end
 * into an i8042 reset, which ends the VMM. tsc=reliable and no_timer_check skip
 * clocksource and timer checks that only cost boot time under KVM. */
#define VMM_BASE_CMDLINE "reboot=k panic=1 tsc=reliable no_timer_check"

int vmm_cmdline_append(struct vmm *v, const char *s)
{
	size_t have = strlen(v->cmdline), add = strlen(s);

	if (have + (have ? 1 : 0) + add + 1 > sizeof(v->cmdline))
		return -E2BIG;
	if (have)
		v->cmdline[have++] = ' ';
	memcpy(v->cmdline + have, s, add + 1);
	return 0;
}

static void vmm_serial_irq(void *arg, int level)
{
	vmm_set_irq_line(arg, SERIAL_COM1_IRQ, level);
}

static void vmm_reset_requested(void *arg)
{
	vmm_end(arg, 0, "the guest reset itself (i8042: a reboot, or a panic with panic=1)");
}

static void vmm_marker_hit(void *arg, uint64_t ns)
{
	struct vmm *v = arg;

	if (v->cfg->boot_time)
		log_info("boot time: guest init reached after %llu.%03llu ms",
			 (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000));
}

static int vmm_open_serial(struct vmm *v)
{
	const char *s = v->cfg->serial ? v->cfg->serial : "-";
	int fd = -1;

	v->serial_fd = -1;
	if (!strcmp(s, "-")) {
		fd = STDOUT_FILENO;
	} else if (strcmp(s, "none")) {
		fd = open(s, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			int err = -errno;

			log_error("serial output %s: %s", s, strerror(errno));
			return err;
		}
		v->serial_fd = fd;
	}
	serial_init(&v->serial, fd, vmm_serial_irq, v);
	/* With no serial target the guest gets no console at all (printing costs a
	 * VM exit per byte, and nobody would read it), or one that prints only
	 * errors, for the post-mortem of a VM that died early. */
	if (fd >= 0)
		return vmm_cmdline_append(v, "console=ttyS0");
	return vmm_cmdline_append(v, v->cfg->console_errors ? "console=ttyS0 quiet" : "quiet");
}

size_t vmm_console_tail(struct vmm *v, char *out, size_t size)
{
	return serial_tail(&v->serial, out, size);
}

static int vmm_add_legacy(struct vmm *v)
{
	int ret;

	v->i8042 = (struct i8042){ .reset = vmm_reset_requested, .arg = v };
	v->marker = (struct marker){ .start_ns = v->start_ns, .hit = vmm_marker_hit, .arg = v };
	ret = bus_register(&v->pio, SERIAL_COM1_PORT, 8, serial_read, serial_write, &v->serial);
	if (!ret)
		ret = bus_register(&v->pio, I8042_DATA_PORT, 5, i8042_read, i8042_write, &v->i8042);
	if (!ret)
		ret = bus_register(&v->pio, MARKER_PORT, 1, marker_read, marker_write, &v->marker);
	return ret;
}

static int vmm_load_guest(struct vmm *v)
{
	const struct vmm_config *cfg = v->cfg;
	uint64_t kernel_end = 0, initrd_gpa = 0, initrd_size = 0;
	autoclose int kfd = open(cfg->kernel, O_RDONLY | O_CLOEXEC);
	int ret;

	if (kfd < 0) {
		log_error("kernel %s: %s", cfg->kernel, strerror(errno));
		return -errno;
	}
	ret = x86_load_elf(&v->mem, kfd, &v->entry, &kernel_end);
	if (ret) {
		log_error("kernel %s: %s", cfg->kernel,
			  ret == -ENOEXEC ? "not an x86-64 ELF vmlinux" : strerror(-ret));
		return ret;
	}
	if (cfg->initrd) {
		autoclose int ifd = open(cfg->initrd, O_RDONLY | O_CLOEXEC);

		if (ifd < 0) {
			log_error("initrd %s: %s", cfg->initrd, strerror(errno));
			return -errno;
		}
		ret = x86_load_initrd(&v->mem, ifd, kernel_end, &initrd_gpa, &initrd_size);
		if (ret) {
			log_error("initrd %s: %s", cfg->initrd,
				  ret == -ENOSPC ? "does not fit in guest memory" : strerror(-ret));
			return ret;
		}
	}
	struct x86_boot_cfg bc = { .cmdline = v->cmdline,
				   .initrd_gpa = initrd_gpa,
				   .initrd_size = initrd_size,
				   .kernel_end = kernel_end };

	ret = x86_setup_bootparams(&v->mem, &bc);
	if (!ret)
		ret = x86_setup_mptable(&v->mem, v->nr_vcpus);
	if (!ret)
		ret = x86_setup_pagetables(&v->mem);
	if (!ret)
		ret = x86_setup_gdt(&v->mem);
	if (ret)
		log_error("guest boot structures: %s", strerror(-ret));
	return ret;
}

static int vmm_add_devices(struct vmm *v)
{
	int ret = vmm_add_legacy(v);

	if (ret) {
		log_error("legacy devices: %s", strerror(-ret));
		return ret;
	}
	if (v->cfg->vsock_uds) {
		ret = vsock_create(&v->vsock, v->loop, &v->mem, v->cfg->vsock_uds, VSOCK_DEFAULT_GUEST_CID);
		if (ret) {
			log_error("vsock %s: %s", v->cfg->vsock_uds,
				  ret == -EEXIST ? "path exists" : strerror(-ret));
			return ret;
		}
		ret = vmm_add_virtio(v, vsock_dev(v->vsock));
	}
	if (!ret)
		ret = vmm_add_shares(v);
	if (!ret)
		ret = vmm_add_nets(v);
	return ret;
}

static int vmm_build(struct vmm *v)
{
	int ret;

	ret = vmm_kvm_open(v);
	if (ret)
		return ret;
	ret = mem_init(&v->mem, v->cfg->mem_mib << 20);
	if (ret) {
		log_error("guest memory (%llu MiB): %s", (unsigned long long)v->cfg->mem_mib,
			  strerror(-ret));
		return ret;
	}
	ret = vmm_kvm_add_memory(v);
	if (ret)
		return ret;
	ret = vmm_open_serial(v);
	if (!ret)
		ret = vmm_cmdline_append(v, VMM_BASE_CMDLINE);
	if (!ret)
		ret = vmm_add_devices(v);
	if (!ret && v->cfg->cmdline && *v->cfg->cmdline)
		ret = vmm_cmdline_append(v, v->cfg->cmdline);
	if (ret == -E2BIG) {
		log_error("kernel command line too long (limit %d bytes)", VMM_CMDLINE_MAX - 1);
		return ret;
	}
	if (ret)
		return ret;
	ret = vmm_load_guest(v);
	for (unsigned i = 0; !ret && i < v->nr_vcpus; i++)
		ret = vcpu_init(&v->vcpus[i], v, i);
	return ret;
}

int vmm_create(struct vmm **out, const struct vmm_config *cfg, struct ev_loop *loop)
{
	struct vmm *v = calloc(1, sizeof(*v));
	int ret;

	if (!v)
		return -ENOMEM;
	v->cfg = cfg;
	v->loop = loop;
	v->kvm_fd = v->vm_fd = v->serial_fd = -1;
	v->mem.fd = -1;
	v->nr_vcpus = cfg->cpus;
	v->start_ns = util_now_ns();
	pthread_mutex_init(&v->exit_lock, NULL);
	pthread_mutex_init(&v->pause_lock, NULL);
	pthread_cond_init(&v->pause_cond, NULL);
	for (unsigned i = 0; i < VMM_MAX_CPUS; i++)
		v->vcpus[i].fd = -1;
	v->done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ret = v->done_fd < 0 ? -errno : vmm_build(v);
	if (ret) {
		vmm_destroy(v);
		return ret;
	}
	*out = v;
	return 0;
}

static void vmm_remove_virtio(struct vmm *v)
{
	for (unsigned i = 0; i < v->nr_virtio; i++) {
		struct vmm_virtio *vv = &v->virtio[i];

		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++) {
			if (vv->notify_fd[q] < 0)
				continue;
			ev_del(v->loop, vv->notify_fd[q]);
			close(vv->notify_fd[q]);
		}
		if (vv->irq_fd >= 0)
			close(vv->irq_fd);
		if (vv->ack_fd >= 0)
			close(vv->ack_fd);
		if (vv->inited)
			virtio_dev_fini(vv->dev);
	}
	v->nr_virtio = 0;
}

void vmm_destroy(struct vmm *v)
{
	if (!v)
		return;
	vmm_stop_vcpus(v);
	for (unsigned i = 0; i < v->nr_vcpus; i++)
		vcpu_fini(&v->vcpus[i]);
	vmm_remove_virtio(v);
	vmm_remove_nets(v);
	if (v->vsock)
		vsock_destroy(v->vsock);
	vmm_remove_shares(v);
	serial_fini(&v->serial);
	if (v->serial_fd >= 0)
		close(v->serial_fd);
	mem_fini(&v->mem);
	if (v->vm_fd >= 0)
		close(v->vm_fd);
	if (v->kvm_fd >= 0)
		close(v->kvm_fd);
	if (v->done_fd >= 0)
		close(v->done_fd);
	pthread_mutex_destroy(&v->exit_lock);
	pthread_mutex_destroy(&v->pause_lock);
	pthread_cond_destroy(&v->pause_cond);
	free(v);
}

int vmm_start(struct vmm *v)
{
	for (unsigned i = 0; i < v->nr_vcpus; i++) {
		int ret = vcpu_start(&v->vcpus[i]);

		if (ret)
			return ret;
	}
	return 0;
}

void vmm_stop_vcpus(struct vmm *v)
{
	/* Parked (paused) vCPUs wake up to this and leave. */
	pthread_mutex_lock(&v->pause_lock);
	v->stopping = true;
	pthread_cond_broadcast(&v->pause_cond);
	pthread_mutex_unlock(&v->pause_lock);
	for (unsigned i = 0; i < v->nr_vcpus; i++)
		vcpu_kick(&v->vcpus[i]);
	for (unsigned i = 0; i < v->nr_vcpus; i++) {
		if (v->vcpus[i].started)
			pthread_join(v->vcpus[i].thread, NULL);
		v->vcpus[i].started = false;
	}
}

static void vmm_set_end(struct vmm *v, int code, const char *why)
{
	uint64_t one = 1;

	pthread_mutex_lock(&v->exit_lock);
	if (!v->exit_set) {
		v->exit_set = true;
		v->exit_code = code;
		snprintf(v->end_why, sizeof(v->end_why), "%s", why);
	}
	pthread_mutex_unlock(&v->exit_lock);
	(void)!write(v->done_fd, &one, sizeof(one));
}

void vmm_end(struct vmm *v, int code, const char *fmt, ...)
{
	char why[sizeof(v->end_why)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	vmm_set_end(v, code, why);
}

void vmm_finish(struct vmm *v, int code)
{
	vmm_set_end(v, code, "");
}

void vmm_dump_state(struct vmm *v)
{
	char q[192];

	for (unsigned i = 0; i < v->nr_virtio; i++) {
		struct virtio_dev *d = v->virtio[i].dev;

		pthread_mutex_lock(&d->lock);
		log_info("state: virtio %s at 0x%llx (GSI %u): status 0x%x, InterruptStatus 0x%x "
			 "(sticky 0x%x)%s", d->name, (unsigned long long)d->mmio_base, d->irq,
			 d->status, d->isr, d->isr_sticky,
			 d->irq_eventfd >= 0 ? ", back-end raises the irqfd" : "");
		for (unsigned n = 0; n < d->nr_queues; n++) {
			vq_describe(&d->vqs[n], q, sizeof(q));
			log_info("state:   queue %u: %s", n, q);
		}
		pthread_mutex_unlock(&d->lock);
	}
}

int vmm_end_reason(struct vmm *v, char *why, size_t len)
{
	int code;

	pthread_mutex_lock(&v->exit_lock);
	code = v->exit_code;
	snprintf(why, len, "%s", v->end_why);
	pthread_mutex_unlock(&v->exit_lock);
	return code;
}
