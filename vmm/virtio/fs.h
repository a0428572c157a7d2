/* virtio-fs (device id 26, virtio 1.2 section 5.11) as a vhost-user front-end:
 * the VMM owns the transport (virtio-mmio registers, config space with the tag,
 * feature negotiation) and a back-end process such as virtiofsd owns the queues.
 *
 * Kicks: each queue's KVM ioeventfd is handed to the back-end as its kick fd
 * (ops->take_kick_fd), so a guest kick wakes virtiofsd directly.
 * Interrupts: virtio-mmio needs InterruptStatus set before the guest looks at its
 * rings, and a back-end can only write an eventfd. In the VM the back-end gets the
 * device's KVM irqfd as the call fd of every queue (direct_irq), so a completion
 * interrupts the guest without waking the VMM, and InterruptStatus always shows
 * the used-buffer bit while the driver is active (the back-end already applied
 * EVENT_IDX and NO_INTERRUPT; an interrupt whose buffers an earlier one already
 * handled is a rare spurious one, which the driver tolerates). Its acknowledgement
 * is completed in KVM too. Without an irqfd (unit tests) the back-end gets one
 * "call" eventfd of ours; the event loop reads it, sets the bit and raises the
 * interrupt. Measured in the nested test host: see README (virtio-fs).
 *
 * Attaching (main thread, before the vCPUs start):
 *   fs_create(&f, loop, &mem, sock, &cfg);   handshake with the back-end on sock
 *   vmm_add_virtio(v, fs_dev(f));
 * Tearing down (vCPUs stopped): virtio_dev_fini (via the VMM), then fs_destroy(f).
 *
 * Threads: activate/reset arrive on a vCPU thread with dev.lock held and talk to the
 * back-end synchronously (bounded by a timeout); the call and hang-up handlers run on
 * the event loop and take dev.lock. The vhost-user session is only used under it. */
#ifndef RUNVM_VMM_VIRTIO_FS_H
#define RUNVM_VMM_VIRTIO_FS_H

#include "vmm/ev.h"
#include "vmm/mem.h"
#include "vmm/virtio/virtio.h"

#define FS_TAG_MAX 36          /* bytes of the tag field; no NUL needed at 36 */
#define FS_QUEUE_HIPRIO 0      /* then the request queues */
#define FS_MAX_REQUEST_QUEUES (VIRTIO_MAX_QUEUES - 1)
#define FS_CONFIG_LEN 40       /* tag[36], le32 num_request_queues */

struct fs_dev;

struct fs_cfg {
	const char *tag;
	unsigned request_queues;     /* 0 means 1 */
	const char *backend;         /* names the back-end in messages */
	/* The back-end hung up (it died or gave up on us): the device is failed; the
	 * VMM decides what happens to the VM. Loop thread. */
	void (*gone)(void *arg);
	void *gone_arg;
};

/* Checks the tag: 1..36 bytes, no NUL, unique is the caller's business. */
int fs_check_tag(const char *tag);

/* Takes ownership of sock (a connected vhost-user socket) whatever the result, and
 * negotiates with the back-end. -EPROTONOSUPPORT: the back-end lacks VIRTIO_F_VERSION_1
 * or enough queues; -ETIMEDOUT, -ECONNRESET, -EPROTO: it did not answer properly. */
int fs_create(struct fs_dev **out, struct ev_loop *loop, const struct guest_mem *mem, int sock,
	      const struct fs_cfg *cfg);

struct virtio_dev *fs_dev(struct fs_dev *f);

/* Closes the connection (the back-end sees the VMM leave) and every fd. NULL is fine. */
void fs_destroy(struct fs_dev *f);

#endif
