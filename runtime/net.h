/* Attaching a container's VM to the network namespace config.json names by path
 * (podman's and CNI's netns, `ip netns` ones): for each interface other than lo, a tap
 * in that namespace wired to it both ways with tc (interfaces that are down are left
 * out), the tap's fd for the VMM's
 * virtio-net device, and the interface's MAC, MTU, addresses and routes for the
 * guest, which takes them over. The namespace is entered by a short-lived thread:
 * the runtime itself never leaves its own.
 *
 * What attaching changes in the namespace outlives the runtime: the taps go when
 * their last fd does (the VMM's), but the ingress qdiscs on the namespace's
 * interfaces stay. They are written down in STATE/net.state before they exist, and
 * rt_net_detach (delete, a failed create) removes them. */
#ifndef RUNVM_RUNTIME_NET_H
#define RUNVM_RUNTIME_NET_H

#include <net/if.h>
#include <stdbool.h>

#include "common/err.h"
#include "common/nl.h"
#include "common/proto.h"
#include "oci/config.h"

#define RT_NET_STATE "net.state"

struct rt_netif {
	int index;                /* in the namespace */
	char name[IF_NAMESIZE];
	bool wired;               /* its ingress qdisc is ours */
	int tap_fd;               /* -1 until made */
	int tap_index;
	char tap_name[IF_NAMESIZE];
	struct proto_ip addrs[PROTO_MAX_ADDRS];
};

struct rt_net {
	unsigned n;
	struct rt_netif ifs[PROTO_MAX_NETIFS];
	/* What the guest gets (names and addresses point into ifs). */
	struct proto_netif spec[PROTO_MAX_NETIFS];
	struct proto_route routes[PROTO_MAX_ROUTES];
	uint32_t n_routes;
};

void rt_net_init(struct rt_net *n);
/* Closes the runtime's tap fds (once the VMM has its own). */
void rt_net_fini(struct rt_net *n);

/* The network namespace path of config.json, or NULL (none, or a new one). */
const char *rt_net_path(const struct oci_config *cfg);

/* Reads the namespace at path, makes and wires the taps, records the undo in
 * dirfd's RT_NET_STATE. Refuses the runtime's own namespace, interfaces that are
 * not Ethernet, more than PROTO_MAX_NETIFS, and a namespace another VM is attached
 * to. On failure nothing stays changed (but the record, which then undoes nothing). */
int rt_net_attach(int dirfd, const char *path, struct rt_net *n, struct rt_err *err);

/* Undoes what dirfd's RT_NET_STATE records and removes it. A namespace that is
 * gone (or is another one now at the same path) has nothing left to undo. */
int rt_net_detach(int dirfd, struct rt_err *err);

/* ---- tc (net_tc.c) ------------------------------------------------------------- */

/* The ingress qdisc of ifindex (add: must not exist yet; else delete it, and its
 * filters with it). */
void rt_tc_ingress_req(struct nl_msg *m, int ifindex, bool add);
/* On from's ingress: every frame to to's egress (u32 match-all + mirred redirect). */
void rt_tc_redirect_req(struct nl_msg *m, int from, int to);
int rt_tc_ingress_add(struct nl_sock *s, int ifindex);
int rt_tc_ingress_del(struct nl_sock *s, int ifindex);
int rt_tc_redirect(struct nl_sock *s, int from, int to);

#endif
