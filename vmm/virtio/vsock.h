/* virtio-vsock (device id 19) served inside the VMM process, with the hybrid Unix
 * socket interface of Firecracker for host programs:
 *   host -> guest: connect to uds_path, send "CONNECT <port>\n", read "OK <hostport>\n",
 *                  then the socket is the stream (EOF without "OK" = refused);
 *   guest -> host: a guest connect to host port P is connected to "<uds_path>_<P>".
 *
 * Attaching it (main thread, before the vCPUs start):
 *   struct vsock *v;
 *   vsock_create(&v, loop, &mem, uds_path, VSOCK_DEFAULT_GUEST_CID);  (-EEXIST: path exists)
 *   struct virtio_dev *d = vsock_dev(v);
 *   virtio_dev_init(d, &mem, mmio_base, irq);  then set d->raise_irq / d->irq_arg,
 *   register the MMIO window and the queue ioeventfds as for any virtio device.
 * Tearing down (event loop and vCPUs stopped): virtio_dev_fini(d), then vsock_destroy(v),
 * which closes every socket, removes every fd it added to the loop and unlinks uds_path.
 *
 * Threads: ops->notify/activate/reset may arrive on a vCPU thread (MMIO writes) or on
 * the loop thread (ioeventfd); work that touches sockets or the event loop is done on
 * the loop thread only (handed over through an eventfd when called elsewhere). All
 * device state is guarded by dev.lock. */
#ifndef RUNVM_VMM_VIRTIO_VSOCK_H
#define RUNVM_VMM_VIRTIO_VSOCK_H

#include <stdint.h>

#include "vmm/ev.h"
#include "vmm/mem.h"
#include "vmm/virtio/virtio.h"

#define VSOCK_DEFAULT_GUEST_CID 3
#define VSOCK_QUEUE_RX 0
#define VSOCK_QUEUE_TX 1
#define VSOCK_QUEUE_EVENT 2
#define VSOCK_NR_QUEUES 3

struct vsock;

/* Creates the device and listens on uds_path. -EEXIST if uds_path exists,
 * -ENAMETOOLONG if it does not fit a sockaddr_un, -EINVAL for a reserved guest_cid
 * (0, 1, 2, or 0xffffffff and above). */
int vsock_create(struct vsock **out, struct ev_loop *loop, const struct guest_mem *mem,
		 const char *uds_path, uint64_t guest_cid);

/* The transport-facing device (embedded in the vsock object). */
struct virtio_dev *vsock_dev(struct vsock *v);

/* Closes every connection and the listener, unlinks uds_path. NULL is fine. */
void vsock_destroy(struct vsock *v);

#endif
