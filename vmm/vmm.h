/* One microVM: the KVM VM, its RAM, vCPU threads, device buses and devices, and
 * the main-thread event loop that owns everything that is not a vCPU. */
#ifndef RUNVM_VMM_VMM_H
#define RUNVM_VMM_VMM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "vmm/bus.h"
#include "vmm/ev.h"
#include "vmm/hw/legacy.h"
#include "vmm/hw/serial.h"
#include "vmm/mem.h"
#include "vmm/virtio/virtio.h"
#include "vmm/virtiofsd.h"

#define VMM_MAX_CPUS 64
#define VMM_MAX_VIRTIO 8
#define VMM_MAX_FS 4                 /* --fs and --share together */
#define VMM_MAX_NET 4                /* --net */
#define VMM_CMDLINE_MAX 2048         /* Linux x86 COMMAND_LINE_SIZE, NUL included */
#define VMM_VIRTIO_MMIO_BASE 0xd0000000ull
#define VMM_VIRTIO_IRQ_BASE 5        /* GSIs 5..12: one per virtio device */

/* One --net: a virtio-net device over a tap (nets.c). */
struct vmm_net {
	int fd;                       /* tapfd=N, or -1 */
	char tap[16];                 /* tap=NAME (IFNAMSIZ), or "" */
	bool has_mac;
	uint8_t mac[6];               /* else a random local one */
	uint16_t mtu;                 /* 0: not offered to the driver */
	bool no_offload;
};

struct vmm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;          /* appended to the base line */
	uint64_t mem_mib;
	unsigned cpus;
	const char *vsock_uds;
	struct vfsd_share fs[VMM_MAX_FS]; /* --fs / --share, in order */
	unsigned nr_fs;
	const char *virtiofsd;        /* binary for --share; NULL: the usual places */
	struct vmm_net net[VMM_MAX_NET];
	unsigned nr_net;
	const char *serial;           /* path, "-" for stdout, "none" */
	bool console_errors;          /* with "none": the guest still prints its errors,
				       * kept for vmm_console_tail() */
	bool boot_time;
	const char *pid_file;
};

struct vmm;
struct fs_dev;
struct net_dev;

struct vcpu {
	struct vmm *vmm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct vmm_virtio {
	struct virtio_dev *dev;
	int irq_fd;                   /* irqfd: a write raises the device's GSI */
	int notify_fd[VIRTIO_MAX_QUEUES]; /* ioeventfd per queue */
	int ack_fd;                   /* ioeventfd on InterruptACK (direct_irq), or -1 */
	bool inited;                  /* virtio_dev_init succeeded: fini it */
};

struct vmm {
	const struct vmm_config *cfg;
	int kvm_fd, vm_fd;
	size_t run_size;              /* KVM_GET_VCPU_MMAP_SIZE */
	struct guest_mem mem;
	struct bus pio, mmio;
	struct ev_loop *loop;
	unsigned nr_vcpus;
	struct vcpu vcpus[VMM_MAX_CPUS];
	struct serial serial;
	int serial_fd;                /* owned when opened from a path */
	struct i8042 i8042;
	struct marker marker;
	unsigned nr_virtio;
	struct vmm_virtio virtio[VMM_MAX_VIRTIO];
	struct vsock *vsock;
	struct fs_dev *fs[VMM_MAX_FS];
	struct vfsd *vfsd[VMM_MAX_FS];  /* the virtiofsd we run for fs[i], if any */
	struct net_dev *net[VMM_MAX_NET];
	char cmdline[VMM_CMDLINE_MAX];
	uint64_t entry, start_ns;
	int done_fd;                  /* eventfd: a vCPU tells the loop the VM is over */
	int exit_code;                /* set once, by whoever ends the VM first */
	char end_why[160];            /* how it ended, in words, set with exit_code */
	bool exit_set;
	pthread_mutex_t exit_lock;
	/* Pause (vcpu.c): vCPU threads park on pause_cond between KVM_RUNs. */
	pthread_mutex_t pause_lock;   /* guards the four below */
	pthread_cond_t pause_cond;
	bool paused, stopping;
	unsigned parked, running;     /* vCPU threads parked, and still looping */
};

/* Builds the VM from cfg (nothing runs yet). Errors are logged with their cause. */
int vmm_create(struct vmm **out, const struct vmm_config *cfg, struct ev_loop *loop);
void vmm_destroy(struct vmm *v);

/* Starts the vCPUs; the caller then runs the event loop. */
int vmm_start(struct vmm *v);
/* Stops and joins every vCPU (idempotent). */
void vmm_stop_vcpus(struct vmm *v);

/* Ends the VM with `code` (first caller wins) and wakes the event loop. Any thread.
 * vmm_end also records why, in words, for whoever reports the end (the first
 * caller's reason is kept, like its code). */
void vmm_finish(struct vmm *v, int code);
void vmm_end(struct vmm *v, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Logs every virtio device's transport and ring state (info level): what a
 * stuck guest waits for. Any thread. */
void vmm_dump_state(struct vmm *v);
/* The code and the reason the VM ended with; why gets "" when none was given. */
int vmm_end_reason(struct vmm *v, char *why, size_t len);

/* Attaches a virtio-mmio device: window, GSI, ioeventfds, irqfd, cmdline entry. */
int vmm_add_virtio(struct vmm *v, struct virtio_dev *d);

/* shares.c: virtio-fs devices and their back-ends. check: before anything runs. */
int vmm_check_shares(const struct vmm_config *c);
int vmm_add_shares(struct vmm *v);
void vmm_remove_shares(struct vmm *v);

/* nets.c: virtio-net devices. parse: one --net argument (modified in place). */
int vmm_parse_net(struct vmm_config *c, char *arg);
int vmm_check_nets(const struct vmm_config *c);
int vmm_add_nets(struct vmm *v);
void vmm_remove_nets(struct vmm *v);

/* kvm.c: the VM itself. */
int vmm_kvm_open(struct vmm *v);
int vmm_kvm_add_memory(struct vmm *v);
void vmm_set_irq_line(void *vmm, int irq, int level);

/* vcpu.c */
int vcpu_init(struct vcpu *c, struct vmm *v, unsigned index);
void vcpu_fini(struct vcpu *c);
int vcpu_start(struct vcpu *c);
void vcpu_kick(struct vcpu *c);
void vcpu_signal_setup(void);
/* Freezes every vCPU out of KVM_RUN and returns once all are parked (-ETIMEDOUT if
 * one does not park within seconds: then nothing stays paused); resume thaws them.
 * Main thread; the guest's clocks jump by the paused time. */
int vcpu_pause_all(struct vmm *v);
void vcpu_resume_all(struct vmm *v);

/* Appends s to the guest's command line, space-separated. 0 or -E2BIG. */
int vmm_cmdline_append(struct vmm *v, const char *s);

/* The guest's last console output, NUL-terminated; returns its length. */
size_t vmm_console_tail(struct vmm *v, char *out, size_t size);

#endif
