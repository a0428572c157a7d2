/* virtio-net (device id 1) with a tap as its back-end, served on the VMM's event loop.
 *
 * The tap is opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and its header size set
 * to the 12 bytes of the VERSION_1 virtio-net header, so frames move between tap and
 * guest buffers with one readv/writev each and no copy of the payload: the tap
 * speaks the driver's own header. Offloads (checksums, TSO both ways, mergeable rx
 * buffers) are offered unless turned off; the tap is told what the driver accepted
 * (TUNSETOFFLOAD).
 *
 *   rx: the tap is readable -> the guest's rx buffers. With no buffer left the tap
 *       is taken out of the loop until the driver adds some (its kick).
 *   tx: the driver's kick -> each chain's frame written to the tap. A chain the
 *       device cannot send (short or oversized, a header with offloads that were not
 *       negotiated) is returned unsent and counted; a malformed ring fails the device.
 *
 * Attaching (main thread, before the vCPUs start): net_create, then
 * virtio_dev_init(net_dev(n), ...) and the usual MMIO and eventfd wiring
 * (vmm_add_virtio). Tearing down (loop and vCPUs stopped): virtio_dev_fini, then
 * net_destroy, which closes the tap.
 *
 * Threads: notify/activate/reset may arrive on a vCPU thread; tap and loop work is
 * done on the loop thread only (handed over through an eventfd). All state is
 * guarded by dev.lock. */
#ifndef RUNVM_VMM_VIRTIO_NET_H
#define RUNVM_VMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/ev.h"
#include "vmm/mem.h"
#include "vmm/virtio/virtio.h"

#define VIRTIO_ID_NET 1
#define NET_QUEUE_RX 0
#define NET_QUEUE_TX 1
#define NET_NR_QUEUES 2

/* Feature bits (virtio 1.2, 5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16

/* The header before every frame with VERSION_1 (struct virtio_net_hdr_mrg_rxbuf). */
#define NET_HDR_LEN 12
/* The largest frame either way: a 64 KiB IP packet (TSO) behind an Ethernet header
 * with a VLAN tag. */
#define NET_FRAME_MAX (65535 + 14 + 4)
#define NET_MAC_LEN 6

struct net_cfg {
	int fd;            /* the back-end, owned by the device from net_create on */
	bool tap;          /* a tap (checked, offloads set); false: any datagram socket
			    * carrying header + frame per message (unit tests) */
	uint8_t mac[NET_MAC_LEN];
	uint16_t mtu;      /* offered with VIRTIO_NET_F_MTU; 0: not offered */
	bool no_offload;   /* offer no checksum or segmentation offload, no mergeable
			    * rx buffers */
};

struct net_stats {
	uint64_t rx_frames, rx_bytes, rx_dropped; /* dropped: did not fit the buffers */
	uint64_t tx_frames, tx_bytes, tx_dropped; /* dropped: refused chains, write errors */
};

struct net_dev;

/* Takes cfg->fd (closed on failure too). -EINVAL: the fd is not a tap with
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR. */
int net_create(struct net_dev **out, struct ev_loop *loop, const struct guest_mem *mem,
	       const struct net_cfg *cfg);
struct virtio_dev *net_dev(struct net_dev *n);
void net_get_stats(struct net_dev *n, struct net_stats *st);
/* Closes the tap and leaves the loop. NULL is fine. */
void net_destroy(struct net_dev *n);

/* Opens /dev/net/tun attached to the tap `name` (created if missing, gone with its
 * last fd unless made persistent elsewhere) with the flags net_create needs. */
int net_tap_open(const char *name, int *fd);

#endif
