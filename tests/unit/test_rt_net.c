/* runtime/net.c against real network namespaces (root only; made with ip(8), which the
 * runtime itself never uses): what rt_net_attach reads (interface, MAC, MTU, addresses,
 * routes), the tap and the tc wiring both ways with frames through it, what it
 * refuses (the host's own namespace, a non-Ethernet interface, a namespace already
 * attached, an interface with an ingress qdisc of someone else's), and rt_net_detach
 * leaving nothing behind, also when the namespace is already gone. */
#include "runtime/net.h"
#include "tests/unit/sh.h"
#include "tests/unit/tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/if_tun.h>
#include <unistd.h>

#define NET_HDR 12

static char nsa[32], nsp[32], nst[32], pa[64];

static int state_dir(char *tmpl)
{
	strcpy(tmpl, "/tmp/rt-net.XXXXXX");
	if (!mkdtemp(tmpl))
		return -1;
	return open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static bool has_ip(const struct proto_netif *n, uint8_t fam, const char *s, uint8_t prefix)
{
	uint8_t a[16] = { 0 };

	inet_pton(fam == PROTO_IP4 ? AF_INET : AF_INET6, s, a);
	for (uint32_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].family == fam && n->addrs[i].prefix == prefix &&
		    !memcmp(n->addrs[i].addr, a, 16))
			return true;
	return false;
}

static bool has_ll(const struct proto_netif *n)
{
	for (uint32_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].family == PROTO_IP6 && n->addrs[i].addr[0] == 0xfe)
			return true;
	return false;
}

static const struct proto_route *route(const struct rt_net *n, const char *dst, uint8_t len)
{
	uint8_t a[16] = { 0 };

	inet_pton(AF_INET, dst, a);
	for (uint32_t i = 0; i < n->n_routes; i++)
		if (n->routes[i].family == PROTO_IP4 && n->routes[i].dst_len == len &&
		    !memcmp(n->routes[i].dst, a, 16))
			return &n->routes[i];
	return NULL;
}

static bool gw_is(const struct proto_route *r, const char *gw)
{
	uint8_t a[16] = { 0 };

	inet_pton(AF_INET, gw, a);
	return r && (r->flags & PROTO_ROUTE_GW) && !memcmp(r->gw, a, 16);
}

static void setup_ns(void)
{
	/* Down interfaces are left out, Ethernet (a veth) or not (a tun, as the tunnel
	 * fallback devices every namespace gets when their modules are loaded). */
	sh("ip netns add %s && ip netns add %s", nsa, nsp);
	sh("ip -n %s link add eth0 type veth peer name host0 netns %s", nsa, nsp);
	sh("ip -n %s link set eth0 address 02:42:0a:4d:00:02 mtu 1400 up", nsa);
	sh("ip -n %s addr add 10.77.0.2/24 dev eth0 && ip -n %s addr add fd77::2/64 dev eth0 nodad",
	   nsa, nsa);
	sh("ip -n %s route add default via 10.77.0.1 && "
	   "ip -n %s route add 10.78.0.0/16 via 10.77.0.3 metric 7", nsa, nsa);
	sh("ip -n %s link set host0 up && ip -n %s addr add 10.77.0.1/24 dev host0", nsp, nsp);
	sh("ip -n %s link add down0 type veth peer name down1 && ip -n %s tuntap add tundown mode tun",
	   nsa, nsa);
}

static void test_read(const struct rt_net *n)
{
	static const uint8_t mac[6] = { 0x02, 0x42, 0x0a, 0x4d, 0x00, 0x02 };
	const struct proto_netif *f = &n->spec[0];

	ok(n->n == 1 && !strcmp(f->name, "eth0") && !memcmp(f->mac, mac, 6) && f->mtu == 1400,
	   "one interface: eth0, its MAC and MTU (lo and the interfaces that are down left out)");
	ok(has_ip(f, PROTO_IP4, "10.77.0.2", 24) && has_ip(f, PROTO_IP6, "fd77::2", 64),
	   "its IPv4 and IPv6 addresses with their prefixes");
	ok(!has_ll(f), "no link-local IPv6 address (the guest makes its own)");
	ok(gw_is(route(n, "0.0.0.0", 0), "10.77.0.1"), "the default route via 10.77.0.1");
	ok(gw_is(route(n, "10.78.0.0", 16), "10.77.0.3") && route(n, "10.78.0.0", 16)->metric == 7,
	   "a route with a gateway and a metric");
	ok(!route(n, "10.77.0.0", 24), "the kernel's prefix route is not copied");
	ok(n->ifs[0].tap_fd >= 0 && !strncmp(n->ifs[0].tap_name, "rvtap", 5), "a tap was made");
}

/* The peer's received frames, as a string. */
static void peer_rx(char *buf, size_t size)
{
	char cmd[128];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ip netns exec %s cat /sys/class/net/host0/statistics/rx_packets",
		 nsp);
	f = popen(cmd, "r");
	if (!f || !fgets(buf, (int)size, f))
		buf[0] = 0;
	if (f)
		pclose(f);
}

static void test_wiring(struct rt_net *n)
{
	uint8_t buf[2048] = { 0 };
	struct pollfd p = { .fd = n->ifs[0].tap_fd, .events = POLLIN };
	char rx0[32] = "", rx1[32] = "";
	bool arp = false;
	int sz = NET_HDR;

	/* As the VMM has it: the 12-byte header of VERSION_1 drivers. */
	ioctl(n->ifs[0].tap_fd, TUNSETVNETHDRSZ, &sz);
	ok(sh("tc -n %s filter show dev eth0 ingress | grep -q 'Egress Redirect to device %s'", nsa,
	      n->ifs[0].tap_name) == 0, "tc: eth0's ingress redirects to the tap");
	ok(sh("tc -n %s filter show dev %s ingress | grep -q 'Egress Redirect to device eth0'", nsa,
	      n->ifs[0].tap_name) == 0, "tc: the tap's ingress redirects to eth0");
	/* The peer looks for 10.77.0.2: its ARP request must come out of the tap. */
	sh("ip netns exec %s busybox ping -c 1 -W 1 10.77.0.2 >/dev/null 2>&1", nsp);
	while (!arp && poll(&p, 1, 2000) == 1) {
		ssize_t r = read(n->ifs[0].tap_fd, buf, sizeof(buf));

		arp = r > NET_HDR + 14 && buf[NET_HDR + 12] == 0x08 && buf[NET_HDR + 13] == 0x06;
	}
	ok(arp, "a frame to eth0 (the peer's ARP request) comes out of the tap");
	peer_rx(rx0, sizeof(rx0));
	memset(buf, 0, NET_HDR);
	memset(buf + NET_HDR, 0xff, 6);
	memcpy(buf + NET_HDR + 6, "\x02\x42\x0a\x4d\x00\x02\x88\xb5", 8);
	ok(write(n->ifs[0].tap_fd, buf, NET_HDR + 60) == NET_HDR + 60, "a frame written into the tap");
	usleep(200 * 1000);
	peer_rx(rx1, sizeof(rx1));
	ok(atol(rx1) > atol(rx0), "it reached the peer through eth0 (rx_packets %ld -> %ld)",
	   atol(rx0), atol(rx1));
}

static void test_refusals(int dir2)
{
	struct rt_net n;
	struct rt_err err = { 0 };

	rt_net_init(&n);
	ok(rt_net_attach(dir2, pa, &n, &err) == -EBUSY && strstr(err.msg, "already attached"),
	   "a second VM on the same namespace is refused (%s)", err.msg);
	rt_net_fini(&n);
	rt_net_init(&n);
	ok(rt_net_attach(dir2, "/proc/self/ns/net", &n, &err) == -EINVAL &&
	   strstr(err.msg, "host's own"), "the runtime's own namespace is refused");
	rt_net_init(&n);
	ok(rt_net_attach(dir2, "/run/netns/rvu-none", &n, &err) == -ENOENT,
	   "a missing path: %s", err.msg);
	sh("ip netns add %s && ip -n %s tuntap add tun0 mode tun && ip -n %s link set tun0 up", nst,
	   nst, nst);
	char path[64];
	snprintf(path, sizeof(path), "/run/netns/%s", nst);
	rt_net_init(&n);
	ok(rt_net_attach(dir2, path, &n, &err) == -EOPNOTSUPP && strstr(err.msg, "not Ethernet"),
	   "an interface that is not Ethernet is refused: %s", err.msg);
	ok(rt_net_detach(dir2, &err) == 0 && faccessat(dir2, RT_NET_STATE, F_OK, 0) < 0,
	   "the refused ones leave nothing to undo");
}

static void test_foreign_qdisc(int dir)
{
	struct rt_net n;
	struct rt_err err = { 0 };

	sh("tc -n %s qdisc add dev eth0 ingress", nsa);
	rt_net_init(&n);
	ok(rt_net_attach(dir, pa, &n, &err) == -EBUSY && strstr(err.msg, "ingress qdisc"),
	   "eth0 with an ingress qdisc of someone else's: refused (%s)", err.msg);
	ok(sh("ip -n %s link show | grep -q rvtap", nsa) != 0, "the tap made on the way is gone");
	ok(rt_net_detach(dir, &err) == 0 &&
	   sh("tc -n %s qdisc show dev eth0 | grep -q ingress", nsa) == 0,
	   "the other qdisc is left alone, also by detach");
	sh("tc -n %s qdisc del dev eth0 ingress", nsa);
}

int main(void)
{
	char d1[32], d2[32];
	struct rt_net n;
	struct rt_err err = { 0 };
	int dir, dir2;

	if (geteuid() != 0 || sh("ip netns list >/dev/null 2>&1") || access("/dev/net/tun", W_OK)) {
		skip("needs root, ip(8) with netns support and /dev/net/tun");
		return tap_done();
	}
	snprintf(nsa, sizeof(nsa), "rvu-a-%d", getpid());
	snprintf(nsp, sizeof(nsp), "rvu-p-%d", getpid());
	snprintf(nst, sizeof(nst), "rvu-t-%d", getpid());
	snprintf(pa, sizeof(pa), "/run/netns/%s", nsa);
	setup_ns();
	dir = state_dir(d1);
	dir2 = state_dir(d2);
	rt_net_init(&n);
	is_int(rt_net_attach(dir, pa, &n, &err), 0, "attached to %s %s", pa, err.msg);
	test_read(&n);
	ok(sh("grep -q '^qdisc [0-9]* eth0$' %s/%s", d1, RT_NET_STATE) == 0,
	   "net.state records eth0's qdisc");
	test_wiring(&n);
	test_refusals(dir2);
	rt_net_fini(&n);
	is_int(rt_net_detach(dir, &err), 0, "detached");
	ok(sh("tc -n %s qdisc show dev eth0 | grep -q ingress", nsa) != 0 &&
	   sh("ip -n %s link show | grep -q rvtap", nsa) != 0 && faccessat(dir, RT_NET_STATE, F_OK, 0) < 0,
	   "nothing left: no qdisc on eth0, no tap, no net.state");
	test_foreign_qdisc(dir);

	rt_net_init(&n);
	is_int(rt_net_attach(dir, pa, &n, &err), 0, "attached again");
	rt_net_fini(&n);
	sh("ip netns del %s", nsa);
	ok(rt_net_detach(dir, &err) == 0 && faccessat(dir, RT_NET_STATE, F_OK, 0) < 0,
	   "detach after the namespace was deleted: nothing to do, no error");
	sh("ip netns del %s 2>/dev/null; ip netns del %s; ip netns del %s", nsa, nsp, nst);
	sh("rm -rf %s %s", d1, d2);
	return tap_done();
}
