/* The guest's network, before the container starts: the spec's interfaces (each a
 * virtio-net NIC the VMM attached, found by its MAC) get their name, MTU and
 * addresses and are set up, then the routes are added; lo is set up whenever the
 * container runs in the guest's own network namespace. All over rtnetlink
 * (common/nl_route.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <net/if_arp.h>
#include <linux/rtnetlink.h>

#include "common/nl_route.h"
#include "guest-init/gi.h"

struct gi_net_find {
	const struct proto_netif *want;
	struct nl_link found;
	bool ok;
};

static int gi_net_match(const struct nl_link *l, void *arg)
{
	struct gi_net_find *f = arg;

	if (l->type == ARPHRD_ETHER && l->has_mac && !memcmp(l->mac, f->want->mac, NL_MAC_LEN)) {
		f->found = *l;
		f->ok = true;
	}
	return 0;
}

static const char *gi_mac_str(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

/* The guest's ifindex of each spec interface, by MAC. */
static int gi_net_find_all(struct nl_sock *s, const struct proto_spec *sp, int *idx,
			   char (*names)[IF_NAMESIZE], struct gi_err *e)
{
	char mac[24];

	for (uint32_t i = 0; i < sp->n_netifs; i++) {
		struct gi_net_find f = { .want = &sp->netifs[i] };
		int ret = nl_links(s, gi_net_match, &f);

		if (ret)
			return gi_failerr(e, ret, "network: listing the VM's interfaces");
		if (!f.ok)
			return gi_fail(e, -ENODEV,
				       "network: interface %s: no NIC with MAC %s in the VM",
				       sp->netifs[i].name, gi_mac_str(sp->netifs[i].mac, mac, sizeof(mac)));
		idx[i] = f.found.index;
		memcpy(names[i], f.found.name, IF_NAMESIZE);
	}
	return 0;
}

/* Names as the namespace had them. Through temporary names first, so that two
 * NICs swapping names never collide. */
static int gi_net_rename(struct nl_sock *s, const struct proto_spec *sp, const int *idx,
			 char (*names)[IF_NAMESIZE], struct gi_err *e)
{
	char tmp[IF_NAMESIZE];
	int ret;

	for (uint32_t i = 0; i < sp->n_netifs; i++) {
		if (!strcmp(names[i], sp->netifs[i].name))
			continue;
		snprintf(tmp, sizeof(tmp), "rvnet%u", i);
		ret = nl_link_change(s, idx[i], &(struct nl_link_change){ .name = tmp });
		if (ret)
			return gi_failerr(e, ret, "network: renaming %s", names[i]);
		memcpy(names[i], tmp, sizeof(tmp));
	}
	for (uint32_t i = 0; i < sp->n_netifs; i++) {
		if (!strcmp(names[i], sp->netifs[i].name))
			continue;
		ret = nl_link_change(s, idx[i], &(struct nl_link_change){ .name = sp->netifs[i].name });
		if (ret)
			return gi_failerr(e, ret, "network: naming the NIC %s", sp->netifs[i].name);
	}
	return 0;
}

static uint8_t gi_af(uint8_t family)
{
	return family == PROTO_IP4 ? AF_INET : AF_INET6;
}

/* MTU and up first: an address on a link that is up brings its prefix route, which
 * routes through a gateway need. */
static int gi_net_if_up(struct nl_sock *s, const struct proto_netif *n, int index,
			struct gi_err *e)
{
	struct nl_link_change up = { .up = true, .mtu = n->mtu };
	char buf[INET6_ADDRSTRLEN];
	int ret = nl_link_change(s, index, &up);

	if (ret)
		return gi_failerr(e, ret, "network: setting %s up (MTU %u)", n->name, n->mtu);
	for (uint32_t i = 0; i < n->n_addrs; i++) {
		const struct proto_ip *ip = &n->addrs[i];
		struct nl_addr a = { .index = index, .family = gi_af(ip->family), .prefix = ip->prefix };

		memcpy(a.addr, ip->addr, sizeof(a.addr));
		ret = nl_addr_add(s, &a);
		if (ret && ret != -EEXIST)
			return gi_failerr(e, ret, "network: address %s/%u on %s",
					  inet_ntop(a.family, a.addr, buf, sizeof(buf)), ip->prefix,
					  n->name);
	}
	return 0;
}

/* Routes without a gateway first: those with one need theirs to be reachable. */
static int gi_net_routes(struct nl_sock *s, const struct proto_spec *sp, const int *idx,
			 struct gi_err *e)
{
	char buf[INET6_ADDRSTRLEN];

	for (int gw = 0; gw < 2; gw++) {
		for (uint32_t i = 0; i < sp->n_routes; i++) {
			const struct proto_route *r = &sp->routes[i];
			struct nl_route nr = { .family = gi_af(r->family), .dst_len = r->dst_len,
					       .scope = r->scope, .oif = idx[r->netif],
					       .priority = r->metric,
					       .has_gw = r->flags & PROTO_ROUTE_GW };
			int ret;

			if (nr.has_gw != (gw == 1))
				continue;
			nr.flags = r->flags & PROTO_ROUTE_ONLINK ? RTNH_F_ONLINK : 0;
			memcpy(nr.dst, r->dst, sizeof(nr.dst));
			memcpy(nr.gw, r->gw, sizeof(nr.gw));
			ret = nl_route_add(s, &nr);
			/* The prefix routes of the addresses are there already. */
			if (ret && ret != -EEXIST)
				return gi_failerr(e, ret, "network: route to %s/%u on %s",
						  inet_ntop(nr.family, nr.dst, buf, sizeof(buf)),
						  r->dst_len, sp->netifs[r->netif].name);
		}
	}
	return 0;
}

static int gi_net_lo_up(struct nl_sock *s, struct gi_err *e)
{
	int ret = nl_link_change(s, 1, &(struct nl_link_change){ .up = true });

	return ret ? gi_failerr(e, ret, "network: setting lo up") : 0;
}

int gi_net_setup(const struct proto_spec *sp, struct gi_err *e)
{
	char names[PROTO_MAX_NETIFS][IF_NAMESIZE];
	int idx[PROTO_MAX_NETIFS];
	struct nl_sock s;
	int ret;

	/* A container with a network namespace of its own brings up its own lo. */
	if (!sp->n_netifs && (sp->namespaces & PROTO_NS_NET))
		return 0;
	if (sp->n_netifs > PROTO_MAX_NETIFS)
		return gi_fail(e, -E2BIG, "network: too many interfaces");
	ret = nl_open(&s);
	if (ret)
		return gi_failerr(e, ret, "network: netlink");
	ret = gi_net_lo_up(&s, e);
	if (!ret)
		ret = gi_net_find_all(&s, sp, idx, names, e);
	if (!ret)
		ret = gi_net_rename(&s, sp, idx, names, e);
	for (uint32_t i = 0; !ret && i < sp->n_netifs; i++)
		ret = gi_net_if_up(&s, &sp->netifs[i], idx[i], e);
	if (!ret)
		ret = gi_net_routes(&s, sp, idx, e);
	nl_close(&s);
	return ret;
}
