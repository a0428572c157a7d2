/* rtnetlink links, addresses and routes: the kernel's messages parsed into plain
 * structures, and the few changes runvm makes (a link's state, MTU, name and IPv6
 * address generation; adding an address or a route). The runtime reads a network
 * namespace with these; runvm-init writes the same values into the guest. */
#ifndef RUNVM_COMMON_NL_ROUTE_H
#define RUNVM_COMMON_NL_ROUTE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/nl.h"

#define NL_MAC_LEN 6

struct nl_link {
	int index;
	char name[IF_NAMESIZE];
	uint16_t type;  /* ARPHRD_* */
	uint32_t flags; /* IFF_* */
	uint32_t mtu;
	bool has_mac;
	uint8_t mac[NL_MAC_LEN];
	char kind[16]; /* IFLA_INFO_KIND ("veth", "tun"...), "" when none */
};

struct nl_addr {
	int index;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix;
	uint8_t scope;  /* RT_SCOPE_* */
	uint32_t flags; /* IFA_F_* */
	uint8_t addr[16];
};

struct nl_route {
	uint8_t family, dst_len, protocol, scope, type;
	uint32_t table, flags, priority;
	int oif;        /* 0 when the route names no output interface */
	bool has_gw;
	uint8_t dst[16], gw[16];
};

/* What nl_link_set changes; zero fields are left alone. */
struct nl_link_change {
	bool up;              /* set IFF_UP */
	uint32_t mtu;
	const char *name;     /* a new name (the link must be down) */
	bool no_ipv6_ll;      /* IPv6 address generation off: no link-local, no RS */
};

/* Bytes of an address of family (4 or 16), 0 for another family. */
unsigned nl_addr_len(uint8_t family);

/* 0; -ENOENT when h is another kind of message; -EBADMSG when malformed. */
int nl_link_parse(const struct nlmsghdr *h, struct nl_link *l);
int nl_addr_parse(const struct nlmsghdr *h, struct nl_addr *a);
int nl_route_parse(const struct nlmsghdr *h, struct nl_route *r);

/* Requests, built into m (nl_link_set etc. send them). */
void nl_link_dump_req(struct nl_msg *m);
void nl_addr_dump_req(struct nl_msg *m, uint8_t family);
void nl_route_dump_req(struct nl_msg *m, uint8_t family);
void nl_link_change_req(struct nl_msg *m, int index, const struct nl_link_change *c);
/* IPv6 addresses are added without duplicate address detection (IFA_F_NODAD):
 * they were given to us already in use. */
void nl_addr_add_req(struct nl_msg *m, const struct nl_addr *a);
void nl_route_add_req(struct nl_msg *m, const struct nl_route *r);

/* Each sends its request on s and waits: 0 or the kernel's -errno. */
int nl_link_change(struct nl_sock *s, int index, const struct nl_link_change *c);
int nl_addr_add(struct nl_sock *s, const struct nl_addr *a);
int nl_route_add(struct nl_sock *s, const struct nl_route *r);

/* Dumps with a callback per parsed entry; a non-zero return stops and is returned. */
int nl_links(struct nl_sock *s, int (*cb)(const struct nl_link *l, void *arg), void *arg);
int nl_addrs(struct nl_sock *s, int (*cb)(const struct nl_addr *a, void *arg), void *arg);
int nl_routes(struct nl_sock *s, int (*cb)(const struct nl_route *r, void *arg), void *arg);

#endif
