/* guest-init/net.c in a private network namespace (root only), standing in for the
 * guest: the spec's interfaces found by MAC among the links (a veth pair made with
 * ip(8) plays the NICs), renamed (also two swapping names), MTU, addresses and up,
 * routes with and without gateways, lo up; a MAC that is not there is an error that
 * names it; a container with a network namespace of its own gets nothing done. */
#include "guest-init/gi.h"
#include "tests/unit/sh.h"
#include "tests/unit/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/rtnetlink.h>

static void ip(struct proto_ip *a, uint8_t fam, const char *s, uint8_t prefix)
{
	memset(a, 0, sizeof(*a));
	a->family = fam;
	a->prefix = prefix;
	inet_pton(fam == PROTO_IP4 ? AF_INET : AF_INET6, s, a->addr);
}

static void mac(uint8_t *m, uint8_t last)
{
	static const uint8_t base[6] = { 0x02, 0x42, 0x0a, 0x58, 0x00, 0x00 };

	memcpy(m, base, 6);
	m[5] = last;
}

static void test_setup(void)
{
	struct proto_ip a0[2], a1[1];
	struct proto_netif ifs[2] = {
		{ .name = "eth0", .mtu = 1400, .n_addrs = 2, .addrs = a0 },
		{ .name = "eth1", .mtu = 1500, .n_addrs = 1, .addrs = a1 },
	};
	struct proto_route rt[3] = {
		{ .netif = 0, .family = PROTO_IP4, .flags = PROTO_ROUTE_GW, .metric = 5 },
		{ .netif = 1, .family = PROTO_IP4, .dst_len = 16, .scope = RT_SCOPE_LINK },
		{ .netif = 0, .family = PROTO_IP6, .flags = PROTO_ROUTE_GW },
	};
	struct proto_spec s = { .netifs = ifs, .n_netifs = 2, .routes = rt, .n_routes = 3 };
	struct gi_err e = { 0 };

	/* Two NICs named the other way round: eth0 has the MAC eth1 must get. */
	sh("ip link add eth0 address 02:42:0a:58:00:02 type veth peer name eth1 address 02:42:0a:58:00:01");
	mac(ifs[0].mac, 1);
	mac(ifs[1].mac, 2);
	ip(&a0[0], PROTO_IP4, "10.88.0.5", 16);
	ip(&a0[1], PROTO_IP6, "fd88::5", 64);
	ip(&a1[0], PROTO_IP4, "192.168.7.2", 24);
	inet_pton(AF_INET, "10.88.0.1", rt[0].gw);
	inet_pton(AF_INET, "172.16.0.0", rt[1].dst);
	inet_pton(AF_INET6, "fd88::1", rt[2].gw);

	is_int(gi_net_setup(&s, &e), 0, "set up: %s", e.msg);
	ok(sh("ip link show eth0 | grep -q 'link/ether 02:42:0a:58:00:01'") == 0 &&
	   sh("ip link show eth1 | grep -q 'link/ether 02:42:0a:58:00:02'") == 0,
	   "the NICs are named by MAC (swapped through temporary names)");
	ok(sh("ip link show eth0 | grep -q 'mtu 1400.*state UP\\|,UP.*mtu 1400'") == 0,
	   "eth0: MTU 1400, up");
	ok(sh("ip addr show eth0 | grep -q 'inet 10.88.0.5/16'") == 0 &&
	   sh("ip addr show eth0 | grep -q 'inet6 fd88::5/64'") == 0 &&
	   sh("ip addr show eth1 | grep -q 'inet 192.168.7.2/24'") == 0,
	   "the addresses with their prefixes");
	ok(sh("ip addr show eth0 | grep 'fd88::5' | grep -vq tentative") == 0,
	   "the IPv6 address is usable at once (no duplicate address detection)");
	ok(sh("ip route show default | grep -q 'default via 10.88.0.1 dev eth0 .*metric 5'") == 0,
	   "default route via the gateway, with its metric");
	ok(sh("ip route show | grep -q '172.16.0.0/16 dev eth1 .*scope link'") == 0,
	   "a route without a gateway, scope link");
	ok(sh("ip -6 route show default | grep -q 'via fd88::1 dev eth0'") == 0,
	   "an IPv6 default route");
	ok(sh("ip link show lo | grep -q 'UP'") == 0, "lo is up");
	memset(&e, 0, sizeof(e));
	is_int(gi_net_setup(&s, &e), 0, "a second time: already there is fine (%s)", e.msg);
}

static void test_errors(void)
{
	struct proto_netif ifs[1] = { { .name = "eth5", .mtu = 1500 } };
	struct proto_spec s = { .netifs = ifs, .n_netifs = 1 };
	struct gi_err e = { 0 };

	mac(ifs[0].mac, 0x77);
	ok(gi_net_setup(&s, &e) == -ENODEV && strstr(e.msg, "02:42:0a:58:00:77") &&
	   strstr(e.msg, "eth5"), "a MAC the VM has no NIC for: %s", e.msg);
	sh("ip link set lo down");
	memset(&e, 0, sizeof(e));
	s = (struct proto_spec){ .namespaces = PROTO_NS_NET };
	ok(gi_net_setup(&s, &e) == 0 && sh("ip link show lo | grep -q ',UP'") != 0,
	   "a container with a netns of its own: nothing touched");
	s = (struct proto_spec){ 0 };
	ok(gi_net_setup(&s, &e) == 0 && sh("ip link show lo | grep -q ',UP'") == 0,
	   "no netns entry: the guest's own namespace, lo up");
}

int main(void)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) ||
	    sh("ip link add rvtmp type veth peer name rvtmp1 2>/dev/null && ip link del rvtmp")) {
		skip("needs root, a private network namespace and ip(8) with veth");
		return tap_done();
	}
	test_setup();
	test_errors();
	return tap_done();
}
