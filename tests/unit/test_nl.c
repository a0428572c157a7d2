/* common/nl and nl_route, and runtime/net_tc: messages built and read back attribute
 * by attribute, the parsers on kernel-shaped messages (built here) and on malformed
 * ones, the buffer bound, and, as root in a private network namespace, the real
 * kernel: a dump of the links, a link renamed and set up, an address and routes
 * added and read back, tc's ingress qdisc and redirect filter accepted. */
#include "common/nl_route.h"
#include "runtime/net.h"
#include "tests/unit/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <net/if_arp.h>

static const struct nlattr *attr(const void *p, size_t len, unsigned type, unsigned max)
{
	const struct nlattr *tb[64];

	if (max >= 64 || nl_parse(p, len, tb, max))
		return NULL;
	return tb[type];
}

static const struct nlattr *nested(const struct nlattr *a, unsigned type, unsigned max)
{
	return a ? attr(nl_data(a), nl_len(a), type, max) : NULL;
}

static void test_build(void)
{
	struct nl_msg m;
	struct nl_link_change c = { .up = true, .mtu = 1400, .name = "eth0", .no_ipv6_ll = true };
	const struct ifinfomsg *ifi;
	const struct nlattr *a;
	const void *p;
	size_t len;
	uint8_t u8;
	uint32_t u32;
	char name[IF_NAMESIZE];

	nl_link_change_req(&m, 7, &c);
	is_int(nl_msg_end(&m), 0, "link change built");
	ifi = nl_family_hdr(nl_msg_hdr(&m), sizeof(*ifi));
	ok(nl_msg_hdr(&m)->nlmsg_type == RTM_NEWLINK && nl_msg_hdr(&m)->nlmsg_len == m.len &&
	   (nl_msg_hdr(&m)->nlmsg_flags & NLM_F_REQUEST) && ifi && ifi->ifi_index == 7 &&
	   ifi->ifi_flags == IFF_UP && ifi->ifi_change == IFF_UP,
	   "link change: header, index, IFF_UP in flags and change mask");
	p = nl_attrs(nl_msg_hdr(&m), sizeof(*ifi), &len);
	ok(nl_get_u32(attr(p, len, IFLA_MTU, IFLA_MAX), &u32) && u32 == 1400, "link change: MTU");
	ok(nl_get_str(attr(p, len, IFLA_IFNAME, IFLA_MAX), name, sizeof(name)) &&
	   !strcmp(name, "eth0"), "link change: name");
	a = nested(attr(p, len, IFLA_AF_SPEC, IFLA_MAX), AF_INET6, AF_INET6);
	ok(nl_get_u8(nested(a, IFLA_INET6_ADDR_GEN_MODE, IFLA_INET6_MAX), &u8) &&
	   u8 == IN6_ADDR_GEN_MODE_NONE, "link change: IPv6 address generation off, nested twice");

	struct nl_addr ad = { .index = 3, .family = AF_INET6, .prefix = 64 };
	inet_pton(AF_INET6, "fd00::5", ad.addr);
	nl_addr_add_req(&m, &ad);
	const struct ifaddrmsg *ifa = nl_family_hdr(nl_msg_hdr(&m), sizeof(*ifa));
	p = nl_attrs(nl_msg_hdr(&m), sizeof(*ifa), &len);
	a = attr(p, len, IFA_LOCAL, IFA_MAX);
	ok(ifa && ifa->ifa_prefixlen == 64 && ifa->ifa_index == 3 && a && nl_len(a) == 16 &&
	   !memcmp(nl_data(a), ad.addr, 16) &&
	   (nl_msg_hdr(&m)->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL),
	   "address add: family header, the address, create-exclusive");
	ok(nl_get_u32(attr(p, len, IFA_FLAGS, IFA_MAX), &u32) && (u32 & IFA_F_NODAD),
	   "address add: IPv6 without duplicate address detection");

	struct nl_route rt = { .family = AF_INET, .oif = 4, .has_gw = true, .priority = 100 };
	inet_pton(AF_INET, "10.0.0.1", rt.gw);
	nl_route_add_req(&m, &rt);
	const struct rtmsg *rm = nl_family_hdr(nl_msg_hdr(&m), sizeof(*rm));
	p = nl_attrs(nl_msg_hdr(&m), sizeof(*rm), &len);
	ok(rm && rm->rtm_dst_len == 0 && rm->rtm_table == RT_TABLE_MAIN && !attr(p, len, RTA_DST, RTA_MAX) &&
	   nl_get_u32(attr(p, len, RTA_OIF, RTA_MAX), &u32) && u32 == 4 &&
	   (a = attr(p, len, RTA_GATEWAY, RTA_MAX)) && nl_len(a) == 4 && !memcmp(nl_data(a), rt.gw, 4),
	   "route add: a default route through a gateway on an interface");
}

static void test_tc_build(void)
{
	struct nl_msg m;
	const struct tcmsg *t;
	const struct nlattr *opt, *act, *a;
	const struct tc_mirred *mp;
	const void *p;
	size_t len;
	char kind[16];

	rt_tc_ingress_req(&m, 9, true);
	t = nl_family_hdr(nl_msg_hdr(&m), sizeof(*t));
	p = nl_attrs(nl_msg_hdr(&m), sizeof(*t), &len);
	ok(nl_msg_hdr(&m)->nlmsg_type == RTM_NEWQDISC && t && t->tcm_ifindex == 9 &&
	   t->tcm_parent == TC_H_INGRESS && t->tcm_handle == 0xffff0000u &&
	   nl_get_str(attr(p, len, TCA_KIND, TCA_MAX), kind, sizeof(kind)) && !strcmp(kind, "ingress"),
	   "tc: ingress qdisc (parent ffff:fff1, handle ffff:)");
	rt_tc_ingress_req(&m, 9, false);
	ok(nl_msg_hdr(&m)->nlmsg_type == RTM_DELQDISC, "tc: ingress qdisc deletion");

	rt_tc_redirect_req(&m, 9, 12);
	is_int(nl_msg_end(&m), 0, "tc: redirect filter built");
	t = nl_family_hdr(nl_msg_hdr(&m), sizeof(*t));
	p = nl_attrs(nl_msg_hdr(&m), sizeof(*t), &len);
	ok(t && t->tcm_ifindex == 9 && t->tcm_parent == 0xffff0000u &&
	   TC_H_MIN(t->tcm_info) == htons(0x0003) && TC_H_MAJ(t->tcm_info) >> 16 == 1 &&
	   nl_get_str(attr(p, len, TCA_KIND, TCA_MAX), kind, sizeof(kind)) && !strcmp(kind, "u32"),
	   "tc: u32 filter on from's ingress, every protocol, priority 1");
	opt = attr(p, len, TCA_OPTIONS, TCA_MAX);
	a = nested(opt, TCA_U32_SEL, TCA_U32_MAX);
	const struct tc_u32_sel *sel = a ? nl_data(a) : NULL;
	ok(sel && nl_len(a) == sizeof(*sel) + sizeof(struct tc_u32_key) && sel->nkeys == 1 &&
	   (sel->flags & TC_U32_TERMINAL) && sel->keys[0].mask == 0,
	   "tc: one key with mask 0 (matches every frame), terminal");
	act = nested(nested(opt, TCA_U32_ACT, TCA_U32_MAX), 1, 1);
	ok(nl_get_str(nested(act, TCA_ACT_KIND, TCA_ACT_MAX), kind, sizeof(kind)) &&
	   !strcmp(kind, "mirred"), "tc: the action is mirred");
	a = nested(nested(act, TCA_ACT_OPTIONS, TCA_ACT_MAX), TCA_MIRRED_PARMS, TCA_MIRRED_MAX);
	mp = a && nl_len(a) == sizeof(*mp) ? nl_data(a) : NULL;
	ok(mp && mp->ifindex == 12 && mp->eaction == TCA_EGRESS_REDIR && mp->action == TC_ACT_STOLEN,
	   "tc: redirect to to's egress, frame stolen");
}

/* A kernel-shaped RTM_NEWLINK/NEWADDR/NEWROUTE, built with the same builder. */
static void test_parse(void)
{
	struct nl_msg m;
	struct nl_link l;
	struct nl_addr ad;
	struct nl_route r;
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	uint8_t a4[4] = { 10, 88, 0, 5 };

	struct ifinfomsg *ifi = nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_index = 5;
	ifi->ifi_type = ARPHRD_ETHER;
	ifi->ifi_flags = IFF_UP;
	nl_put_str(&m, IFLA_IFNAME, "eth0");
	nl_put_u32(&m, IFLA_MTU, 1450);
	nl_put(&m, IFLA_ADDRESS, mac, 6);
	nl_nest_begin(&m, IFLA_LINKINFO);
	nl_put_str(&m, IFLA_INFO_KIND, "veth");
	nl_nest_end(&m);
	ok(!nl_link_parse(nl_msg_hdr(&m), &l) && l.index == 5 && !strcmp(l.name, "eth0") &&
	   l.mtu == 1450 && l.has_mac && !memcmp(l.mac, mac, 6) && !strcmp(l.kind, "veth") &&
	   l.type == ARPHRD_ETHER, "link parsed: index, name, MTU, MAC, kind");
	is_int(nl_addr_parse(nl_msg_hdr(&m), &ad), -ENOENT, "a link is not an address");

	nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(*ifi));
	nl_put_u32(&m, IFLA_MTU, 1450);
	is_int(nl_link_parse(nl_msg_hdr(&m), &l), -EBADMSG, "a link without a name is malformed");
	nl_msg_init(&m, RTM_NEWLINK, 0, 0);
	is_int(nl_link_parse(nl_msg_hdr(&m), &l), -EBADMSG, "a link without ifinfomsg is malformed");

	struct ifaddrmsg *ifa = nl_msg_init(&m, RTM_NEWADDR, 0, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 16;
	ifa->ifa_index = 5;
	nl_put(&m, IFA_ADDRESS, a4, 4);
	nl_put(&m, IFA_LOCAL, a4, 4);
	ok(!nl_addr_parse(nl_msg_hdr(&m), &ad) && ad.family == AF_INET && ad.prefix == 16 &&
	   ad.index == 5 && !memcmp(ad.addr, a4, 4), "address parsed");
	ifa->ifa_prefixlen = 33;
	is_int(nl_addr_parse(nl_msg_hdr(&m), &ad), -EBADMSG, "an IPv4 prefix over 32 is malformed");
	ifa->ifa_prefixlen = 16;
	ifa = nl_msg_init(&m, RTM_NEWADDR, 0, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	nl_put(&m, IFA_ADDRESS, a4, 3);
	is_int(nl_addr_parse(nl_msg_hdr(&m), &ad), -EBADMSG, "a 3-byte IPv4 address is malformed");

	struct rtmsg *rm = nl_msg_init(&m, RTM_NEWROUTE, 0, sizeof(*rm));
	rm->rtm_family = AF_INET;
	rm->rtm_table = RT_TABLE_MAIN;
	rm->rtm_type = RTN_UNICAST;
	rm->rtm_protocol = RTPROT_BOOT;
	nl_put_u32(&m, RTA_OIF, 5);
	nl_put(&m, RTA_GATEWAY, a4, 4);
	nl_put_u32(&m, RTA_TABLE, RT_TABLE_MAIN);
	ok(!nl_route_parse(nl_msg_hdr(&m), &r) && r.oif == 5 && r.has_gw && !memcmp(r.gw, a4, 4) &&
	   r.dst_len == 0 && r.table == RT_TABLE_MAIN, "route parsed: default via a gateway");
	rm->rtm_dst_len = 8;
	nl_put(&m, RTA_DST, (uint8_t[16]){ 10 }, 16);
	is_int(nl_route_parse(nl_msg_hdr(&m), &r), -EBADMSG, "a 16-byte IPv4 destination is malformed");
}

static void test_malformed(void)
{
	uint8_t buf[64] __attribute__((aligned(4)));
	struct nlattr *a = (struct nlattr *)buf;
	const struct nlattr *tb[4];
	const struct nlmsghdr *h;
	const uint8_t *p = buf;
	size_t len;
	struct nl_msg m;

	a->nla_len = 40;
	a->nla_type = 1;
	is_int(nl_parse(buf, 16, tb, 3), -EBADMSG, "an attribute longer than what is left");
	a->nla_len = 2;
	is_int(nl_parse(buf, 16, tb, 3), -EBADMSG, "an attribute shorter than its header");
	a->nla_len = 8;
	a->nla_type = 200;
	ok(nl_parse(buf, 8, tb, 3) == 0 && !tb[1], "an unknown attribute type is skipped");
	ok(nl_parse(buf, 10, tb, 3) == -EBADMSG, "trailing bytes after the last attribute");

	memset(buf, 0, sizeof(buf));
	((struct nlmsghdr *)buf)->nlmsg_len = 100;
	len = 32;
	is_int(nl_next(&p, &len, &h), -EBADMSG, "a message longer than the datagram");
	((struct nlmsghdr *)buf)->nlmsg_len = 4;
	p = buf;
	len = 32;
	is_int(nl_next(&p, &len, &h), -EBADMSG, "a message shorter than its header");
	((struct nlmsghdr *)buf)->nlmsg_len = 16;
	((struct nlmsghdr *)(buf + 16))->nlmsg_len = 16;
	p = buf;
	len = 32;
	ok(nl_next(&p, &len, &h) == 1 && nl_next(&p, &len, &h) == 1 && nl_next(&p, &len, &h) == 0,
	   "two messages, then the end");

	nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	for (int i = 0; i < 200; i++)
		nl_put_str(&m, IFLA_IFNAME, "a-rather-long-name");
	ok(nl_msg_end(&m) == -EMSGSIZE && m.len <= NL_MSG_MAX, "a message over the buffer: -EMSGSIZE, no overflow");
	nl_msg_init(&m, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
	nl_nest_begin(&m, IFLA_LINKINFO);
	is_int(nl_msg_end(&m), -EINVAL, "a nest left open is an error");
}

/* ---- against the kernel, in a private network namespace ---------------------------- */

static int find_lo(const struct nl_link *l, void *arg)
{
	if (l->flags & IFF_LOOPBACK)
		*(int *)arg = l->index;
	return 0;
}

struct seen {
	int index;
	bool addr, route;
};

static int see_addr(const struct nl_addr *a, void *arg)
{
	struct seen *s = arg;
	uint8_t want[4] = { 10, 55, 0, 2 };

	if (a->index == s->index && a->family == AF_INET && a->prefix == 24 && !memcmp(a->addr, want, 4))
		s->addr = true;
	return 0;
}

static int see_route(const struct nl_route *r, void *arg)
{
	struct seen *s = arg;
	uint8_t gw[4] = { 10, 55, 0, 1 };

	if (r->oif == s->index && r->has_gw && r->dst_len == 0 && !memcmp(r->gw, gw, 4) &&
	    r->priority == 42)
		s->route = true;
	return 0;
}

static void test_kernel(void)
{
	struct nl_sock *s = malloc(sizeof(*s));
	struct nl_addr a = { .family = AF_INET, .prefix = 24, .addr = { 10, 55, 0, 2 } };
	struct nl_route r = { .family = AF_INET, .has_gw = true, .gw = { 10, 55, 0, 1 },
			      .priority = 42 };
	struct seen seen = { 0 };
	int lo = 0, idx;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) || system("ip link add rvd0 type veth peer name rvd1 2>/dev/null")) {
		skip("the kernel part needs root, a private network namespace and ip(8) (veth)");
		free(s);
		return;
	}
	is_int(nl_open(s), 0, "netlink socket");
	ok(nl_links(s, find_lo, &lo) == 0 && lo > 0, "link dump finds lo");
	idx = (int)if_nametoindex("rvd0");
	is_int(nl_link_change(s, idx, &(struct nl_link_change){ .name = "eth7", .mtu = 1400 }), 0,
	       "rename and MTU");
	is_int(nl_link_change(s, idx, &(struct nl_link_change){ .up = true }), 0, "set up");
	ok((int)if_nametoindex("eth7") == idx, "renamed");
	a.index = seen.index = r.oif = idx;
	is_int(nl_addr_add(s, &a), 0, "address added");
	is_int(nl_addr_add(s, &a), -EEXIST, "the same again: -EEXIST from the kernel");
	is_int(nl_route_add(s, &r), 0, "default route added");
	ok(nl_addrs(s, see_addr, &seen) == 0 && seen.addr, "the address is in the dump");
	ok(nl_routes(s, see_route, &seen) == 0 && seen.route, "the route is in the dump");
	is_int(rt_tc_ingress_add(s, idx), 0, "tc: ingress qdisc accepted");
	is_int(rt_tc_ingress_add(s, idx), -EEXIST, "tc: a second one: -EEXIST");
	is_int(rt_tc_redirect(s, idx, lo), 0, "tc: u32 + mirred filter accepted");
	is_int(rt_tc_ingress_del(s, idx), 0, "tc: ingress qdisc deleted");
	nl_close(s);
	free(s);
}

int main(void)
{
	test_build();
	test_tc_build();
	test_parse();
	test_malformed();
	test_kernel();
	return tap_done();
}
