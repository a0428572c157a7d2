/* rtnetlink links, addresses and routes (see nl_route.h). */
#include "common/nl_route.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

unsigned nl_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* An address attribute of the family's exact size into out. */
static bool nl_get_ip(const struct nlattr *a, uint8_t family, uint8_t out[16])
{
	unsigned n = nl_addr_len(family);

	if (!a || !n || nl_len(a) != n)
		return false;
	memset(out, 0, 16);
	memcpy(out, nl_data(a), n);
	return true;
}

static void nl_link_kind(const struct nlattr *info, struct nl_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1];

	if (info && !nl_parse(nl_data(info), nl_len(info), tb, IFLA_INFO_MAX))
		nl_get_str(tb[IFLA_INFO_KIND], l->kind, sizeof(l->kind));
}

int nl_link_parse(const struct nlmsghdr *h, struct nl_link *l)
{
	const struct ifinfomsg *ifi = nl_family_hdr(h, sizeof(*ifi));
	const struct nlattr *tb[IFLA_MAX + 1];
	const void *attrs;
	size_t len;

	if (h->nlmsg_type != RTM_NEWLINK)
		return -ENOENT;
	attrs = nl_attrs(h, sizeof(*ifi), &len);
	if (!ifi || nl_parse(attrs, len, tb, IFLA_MAX))
		return -EBADMSG;
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->type = ifi->ifi_type;
	l->flags = ifi->ifi_flags;
	if (!nl_get_str(tb[IFLA_IFNAME], l->name, sizeof(l->name)) || l->index <= 0)
		return -EBADMSG;
	nl_get_u32(tb[IFLA_MTU], &l->mtu);
	if (tb[IFLA_ADDRESS] && nl_len(tb[IFLA_ADDRESS]) == NL_MAC_LEN) {
		memcpy(l->mac, nl_data(tb[IFLA_ADDRESS]), NL_MAC_LEN);
		l->has_mac = true;
	}
	nl_link_kind(tb[IFLA_LINKINFO], l);
	return 0;
}

int nl_addr_parse(const struct nlmsghdr *h, struct nl_addr *a)
{
	const struct ifaddrmsg *ifa = nl_family_hdr(h, sizeof(*ifa));
	const struct nlattr *tb[IFA_MAX + 1];
	const void *attrs;
	size_t len;

	if (h->nlmsg_type != RTM_NEWADDR)
		return -ENOENT;
	attrs = nl_attrs(h, sizeof(*ifa), &len);
	if (!ifa || nl_parse(attrs, len, tb, IFA_MAX))
		return -EBADMSG;
	memset(a, 0, sizeof(*a));
	a->index = (int)ifa->ifa_index;
	a->family = ifa->ifa_family;
	a->prefix = ifa->ifa_prefixlen;
	a->scope = ifa->ifa_scope;
	a->flags = ifa->ifa_flags;
	/* The 32-bit flags attribute, when present, is the whole truth. */
	nl_get_u32(tb[IFA_FLAGS], &a->flags);
	if (a->prefix > 8 * nl_addr_len(a->family))
		return -EBADMSG;
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer on point-to-point
	 * links and the same as IFA_LOCAL elsewhere (IPv6 has only IFA_ADDRESS). */
	if (nl_get_ip(tb[IFA_LOCAL], a->family, a->addr) ||
	    nl_get_ip(tb[IFA_ADDRESS], a->family, a->addr))
		return 0;
	return -EBADMSG;
}

int nl_route_parse(const struct nlmsghdr *h, struct nl_route *r)
{
	const struct rtmsg *rt = nl_family_hdr(h, sizeof(*rt));
	const struct nlattr *tb[RTA_MAX + 1];
	const void *attrs;
	uint32_t oif = 0;
	size_t len;

	if (h->nlmsg_type != RTM_NEWROUTE)
		return -ENOENT;
	attrs = nl_attrs(h, sizeof(*rt), &len);
	if (!rt || nl_parse(attrs, len, tb, RTA_MAX))
		return -EBADMSG;
	memset(r, 0, sizeof(*r));
	r->family = rt->rtm_family;
	r->dst_len = rt->rtm_dst_len;
	r->protocol = rt->rtm_protocol;
	r->scope = rt->rtm_scope;
	r->type = rt->rtm_type;
	r->flags = rt->rtm_flags;
	r->table = rt->rtm_table;
	nl_get_u32(tb[RTA_TABLE], &r->table);
	nl_get_u32(tb[RTA_PRIORITY], &r->priority);
	nl_get_u32(tb[RTA_OIF], &oif);
	r->oif = (int)oif;
	if (r->dst_len > 8 * nl_addr_len(r->family))
		return -EBADMSG;
	if (tb[RTA_DST] && !nl_get_ip(tb[RTA_DST], r->family, r->dst))
		return -EBADMSG;
	if (tb[RTA_GATEWAY]) {
		if (!nl_get_ip(tb[RTA_GATEWAY], r->family, r->gw))
			return -EBADMSG;
		r->has_gw = true;
	}
	return 0;
}

/* ---- requests ------------------------------------------------------------------- */

void nl_link_dump_req(struct nl_msg *m)
{
	nl_msg_init(m, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
}

void nl_addr_dump_req(struct nl_msg *m, uint8_t family)
{
	struct ifaddrmsg *ifa = nl_msg_init(m, RTM_GETADDR, 0, sizeof(*ifa));

	if (ifa)
		ifa->ifa_family = family;
}

void nl_route_dump_req(struct nl_msg *m, uint8_t family)
{
	struct rtmsg *rt = nl_msg_init(m, RTM_GETROUTE, 0, sizeof(*rt));

	if (rt)
		rt->rtm_family = family;
}

void nl_link_change_req(struct nl_msg *m, int index, const struct nl_link_change *c)
{
	struct ifinfomsg *ifi = nl_msg_init(m, RTM_NEWLINK, 0, sizeof(*ifi));

	if (!ifi)
		return;
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	if (c->up) {
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (c->mtu)
		nl_put_u32(m, IFLA_MTU, c->mtu);
	if (c->name)
		nl_put_str(m, IFLA_IFNAME, c->name);
	if (c->no_ipv6_ll) {
		nl_nest_begin(m, IFLA_AF_SPEC);
		nl_nest_begin(m, AF_INET6);
		nl_put_u8(m, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
		nl_nest_end(m);
		nl_nest_end(m);
	}
}

void nl_addr_add_req(struct nl_msg *m, const struct nl_addr *a)
{
	struct ifaddrmsg *ifa = nl_msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	unsigned n = nl_addr_len(a->family);
	uint32_t flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;

	if (!ifa)
		return;
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->prefix;
	ifa->ifa_index = (uint32_t)a->index;
	ifa->ifa_scope = a->scope;
	ifa->ifa_flags = (uint8_t)flags;
	nl_put(m, IFA_LOCAL, a->addr, n);
	nl_put(m, IFA_ADDRESS, a->addr, n);
	nl_put_u32(m, IFA_FLAGS, flags);
}

void nl_route_add_req(struct nl_msg *m, const struct nl_route *r)
{
	struct rtmsg *rt = nl_msg_init(m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof(*rt));
	unsigned n = nl_addr_len(r->family);

	if (!rt)
		return;
	rt->rtm_family = r->family;
	rt->rtm_dst_len = r->dst_len;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = r->scope;
	rt->rtm_type = RTN_UNICAST;
	rt->rtm_flags = r->flags;
	if (r->dst_len)
		nl_put(m, RTA_DST, r->dst, n);
	if (r->has_gw)
		nl_put(m, RTA_GATEWAY, r->gw, n);
	if (r->oif)
		nl_put_u32(m, RTA_OIF, (uint32_t)r->oif);
	if (r->priority)
		nl_put_u32(m, RTA_PRIORITY, r->priority);
}

int nl_link_change(struct nl_sock *s, int index, const struct nl_link_change *c)
{
	struct nl_msg m;

	nl_link_change_req(&m, index, c);
	return nl_talk(s, &m);
}

int nl_addr_add(struct nl_sock *s, const struct nl_addr *a)
{
	struct nl_msg m;

	nl_addr_add_req(&m, a);
	return nl_talk(s, &m);
}

int nl_route_add(struct nl_sock *s, const struct nl_route *r)
{
	struct nl_msg m;

	nl_route_add_req(&m, r);
	return nl_talk(s, &m);
}

/* ---- dumps ---------------------------------------------------------------------- */

struct nl_each {
	int (*link)(const struct nl_link *l, void *arg);
	int (*addr)(const struct nl_addr *a, void *arg);
	int (*route)(const struct nl_route *r, void *arg);
	void *arg;
};

/* A malformed entry ends the dump with -EBADMSG: a namespace we cannot read
 * completely must not be copied half. */
static int nl_each_cb(const struct nlmsghdr *h, void *arg)
{
	const struct nl_each *e = arg;
	union {
		struct nl_link l;
		struct nl_addr a;
		struct nl_route r;
	} u;
	int ret;

	if (e->link)
		ret = nl_link_parse(h, &u.l);
	else if (e->addr)
		ret = nl_addr_parse(h, &u.a);
	else
		ret = nl_route_parse(h, &u.r);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	return e->link ? e->link(&u.l, e->arg) : e->addr ? e->addr(&u.a, e->arg) : e->route(&u.r, e->arg);
}

int nl_links(struct nl_sock *s, int (*cb)(const struct nl_link *l, void *arg), void *arg)
{
	struct nl_each e = { .link = cb, .arg = arg };
	struct nl_msg m;

	nl_link_dump_req(&m);
	return nl_dump(s, &m, nl_each_cb, &e);
}

int nl_addrs(struct nl_sock *s, int (*cb)(const struct nl_addr *a, void *arg), void *arg)
{
	struct nl_each e = { .addr = cb, .arg = arg };
	struct nl_msg m;

	nl_addr_dump_req(&m, AF_UNSPEC);
	return nl_dump(s, &m, nl_each_cb, &e);
}

int nl_routes(struct nl_sock *s, int (*cb)(const struct nl_route *r, void *arg), void *arg)
{
	struct nl_each e = { .route = cb, .arg = arg };
	struct nl_msg m;

	nl_route_dump_req(&m, AF_UNSPEC);
	return nl_dump(s, &m, nl_each_cb, &e);
}
