/* vCPU threads: one per vCPU, each looping on KVM_RUN and dispatching port and
 * MMIO exits to the buses. A vCPU is kicked out of KVM_RUN with a signal plus
 * immediate_exit, so a stop can never be lost between a check and KVM_RUN.
 * Pause parks every thread between two KVM_RUNs on a condition variable. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/vmm.h"
#include "vmm/x86/boot.h"

#define VCPU_KICK_SIGNAL (SIGRTMIN + 0)

static void vcpu_kick_handler(int sig)
{
	(void)sig; /* only here to interrupt KVM_RUN */
}

void vcpu_signal_setup(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

int vcpu_init(struct vcpu *c, struct vmm *v, unsigned index)
{
	int ret;

	c->vmm = v;
	c->index = index;
	c->fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (c->fd < 0) {
		ret = -errno;
		log_error("KVM_CREATE_VCPU %u: %s", index, strerror(errno));
		return ret;
	}
	fcntl(c->fd, F_SETFD, FD_CLOEXEC);
	c->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		ret = -errno;
		log_error("mmap of vCPU %u run area: %s", index, strerror(errno));
		return ret;
	}
	ret = x86_setup_cpuid(v->kvm_fd, c->fd, index, v->nr_vcpus);
	if (ret) {
		log_error("vCPU %u CPUID: %s", index, strerror(-ret));
		return ret;
	}
	/* Application processors wait for INIT/SIPI from the in-kernel LAPIC; only
	 * the boot vCPU gets entry registers. */
	ret = x86_setup_vcpu(c->fd, v->entry, X86_ZERO_PAGE_GPA, index == 0);
	if (ret)
		log_error("vCPU %u registers: %s", index, strerror(-ret));
	return ret;
}

void vcpu_fini(struct vcpu *c)
{
	if (c->run)
		munmap(c->run, c->vmm->run_size);
	if (c->fd >= 0)
		close(c->fd);
	c->run = NULL;
	c->fd = -1;
}

static void vcpu_io(struct vcpu *c)
{
	struct kvm_run *r = c->run;
	uint64_t bytes = (uint64_t)r->io.size * r->io.count;

	/* The kernel fills these, but a bad offset must not send us outside the map. */
	if (r->io.data_offset > c->vmm->run_size || bytes > c->vmm->run_size - r->io.data_offset)
		return;
	uint8_t *p = (uint8_t *)r + r->io.data_offset;

	for (uint32_t i = 0; i < r->io.count; i++, p += r->io.size)
		bus_access(&c->vmm->pio, r->io.port, p, r->io.size,
			   r->io.direction == KVM_EXIT_IO_OUT);
}

static void vcpu_mmio(struct vcpu *c)
{
	struct kvm_run *r = c->run;

	if (r->mmio.len > sizeof(r->mmio.data))
		return;
	bus_access(&c->vmm->mmio, r->mmio.phys_addr, r->mmio.data, r->mmio.len,
		   r->mmio.is_write);
}

/* Linux with reboot=k never resets this way, so a triple fault is a guest
 * failure. Its registers are not worth logging: on AMD, KVM has already reset
 * the vCPU (the VMCB is undefined after a shutdown intercept). */
static void vcpu_triple_fault(struct vcpu *c)
{
	log_warn("vCPU %u: guest triple fault", c->index);
	vmm_end(c->vmm, 0, "guest triple fault on vCPU %u", c->index);
}

/* Returns false when this vCPU must stop running. */
static bool vcpu_exit(struct vcpu *c)
{
	struct kvm_run *r = c->run;

	switch (r->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_io(c);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_mmio(c);
		return true;
	case KVM_EXIT_SHUTDOWN: /* triple fault: the guest's last-resort reboot */
		vcpu_triple_fault(c);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vmm_end(c->vmm, 0, "guest system event %u on vCPU %u", r->system_event.type,
			c->index);
		return false;
	case KVM_EXIT_HLT:
		vmm_end(c->vmm, 0, "vCPU %u halted", c->index);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vCPU %u: KVM could not enter the guest (hardware reason 0x%llx)",
			  c->index, (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("vCPU %u: KVM internal error, suberror %u (emulation failed; on a PVM "
			  "host a stock guest kernel cannot run: see `runvm-vmm --probe`)",
			  c->index, r->internal.suberror);
		break;
	default:
		log_error("vCPU %u: unexpected KVM exit reason %u", c->index, r->exit_reason);
		break;
	}
	vmm_finish(c->vmm, 1);
	return false;
}

/* Between two KVM_RUNs: waits while the VM is paused. False when the vCPU must
 * stop. immediate_exit is cleared under the lock, so a pause or stop requested
 * after the check sets it again and the next KVM_RUN returns at once. */
static bool vcpu_park(struct vcpu *c)
{
	struct vmm *v = c->vmm;
	bool go;

	pthread_mutex_lock(&v->pause_lock);
	while (v->paused && !v->stopping) {
		v->parked++;
		pthread_cond_broadcast(&v->pause_cond);
		pthread_cond_wait(&v->pause_cond, &v->pause_lock);
		v->parked--;
	}
	go = !v->stopping;
	if (go)
		__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&v->pause_lock);
	return go;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vmm *v = c->vmm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (vcpu_park(c)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			log_error("vCPU %u: KVM_RUN: %s", c->index, strerror(errno));
			vmm_end(v, 1, "KVM_RUN on vCPU %u: %s", c->index, strerror(errno));
			break;
		}
		if (!vcpu_exit(c))
			break;
	}
	pthread_mutex_lock(&v->pause_lock);
	v->running--;
	pthread_cond_broadcast(&v->pause_cond);
	pthread_mutex_unlock(&v->pause_lock);
	return NULL;
}

int vcpu_start(struct vcpu *c)
{
	struct vmm *v = c->vmm;
	char name[16];
	int ret;

	pthread_mutex_lock(&v->pause_lock);
	v->running++;
	pthread_mutex_unlock(&v->pause_lock);
	ret = pthread_create(&c->thread, NULL, vcpu_thread, c);
	if (ret) {
		pthread_mutex_lock(&v->pause_lock);
		v->running--;
		pthread_mutex_unlock(&v->pause_lock);
		log_error("cannot start vCPU %u thread: %s", c->index, strerror(ret));
		return -ret;
	}
	snprintf(name, sizeof(name), "vcpu%u", c->index);
	pthread_setname_np(c->thread, name);
	c->started = true;
	return 0;
}

void vcpu_kick(struct vcpu *c)
{
	if (!c->started)
		return;
	__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(c->thread, VCPU_KICK_SIGNAL);
}

#define VCPU_PAUSE_TIMEOUT_S 5

int vcpu_pause_all(struct vmm *v)
{
	struct timespec until;
	int ret = 0;

	pthread_mutex_lock(&v->pause_lock);
	v->paused = true;
	for (unsigned i = 0; i < v->nr_vcpus; i++)
		if (v->vcpus[i].started)
			__atomic_store_n(&v->vcpus[i].run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&v->pause_lock);
	for (unsigned i = 0; i < v->nr_vcpus; i++)
		if (v->vcpus[i].started)
			pthread_kill(v->vcpus[i].thread, VCPU_KICK_SIGNAL);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VCPU_PAUSE_TIMEOUT_S;
	pthread_mutex_lock(&v->pause_lock);
	while (!ret && v->parked < v->running && !v->stopping)
		ret = -pthread_cond_timedwait(&v->pause_cond, &v->pause_lock, &until);
	if (ret) {
		v->paused = false;
		pthread_cond_broadcast(&v->pause_cond);
		log_error("pause: a vCPU did not stop within %d s", VCPU_PAUSE_TIMEOUT_S);
	}
	pthread_mutex_unlock(&v->pause_lock);
	return ret;
}

void vcpu_resume_all(struct vmm *v)
{
	pthread_mutex_lock(&v->pause_lock);
	v->paused = false;
	pthread_cond_broadcast(&v->pause_cond);
	pthread_mutex_unlock(&v->pause_lock);
}
