/* Attaching a VM to a network namespace given by path, and undoing it (see net.h).
 *
 * Everything that must happen inside the namespace (reading it over rtnetlink,
 * opening the taps, tc) runs on a thread that joined it with setns: a network
 * namespace is per thread, so the runtime's own never changes, and the fds the
 * thread opens (taps, netlink) stay bound to the namespace they were opened in.
 *
 * STATE/net.state, one item per line:
 *   netns PATH          the namespace (the rest of the line)
 *   id DEV INO          its identity, so that a new namespace at PATH is left alone
 *   qdisc INDEX NAME    an interface whose ingress qdisc we added (before adding it) */
#include "runtime/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <net/if_arp.h>

#include "common/nl_route.h"
#include "common/util.h"
#include "oci/json.h"
#include "runtime/logging.h"

#define RT_NET_STATE_MAX 4096

struct rt_net_job {
	int nsfd;
	const char *path;
	struct rt_net *net;
	int dirfd;
	char state[RT_NET_STATE_MAX]; /* net.state as it is on disk */
	size_t state_len;
	int (*fn)(struct rt_net_job *j, struct nl_sock *s);
	struct rt_err err;
	int ret;
};

void rt_net_init(struct rt_net *n)
{
	memset(n, 0, sizeof(*n));
	for (unsigned i = 0; i < PROTO_MAX_NETIFS; i++)
		n->ifs[i].tap_fd = -1;
}

void rt_net_fini(struct rt_net *n)
{
	for (unsigned i = 0; i < PROTO_MAX_NETIFS; i++) {
		if (n->ifs[i].tap_fd >= 0)
			close(n->ifs[i].tap_fd);
		n->ifs[i].tap_fd = -1;
	}
}

const char *rt_net_path(const struct oci_config *cfg)
{
	for (size_t i = 0; i < cfg->lnx.n_namespaces; i++) {
		const struct oci_namespace *ns = &cfg->lnx.namespaces[i];

		if (ns->type == OCI_NS_NETWORK && ns->path && ns->path[0])
			return ns->path;
	}
	return NULL;
}

/* ---- net.state ------------------------------------------------------------------ */

static int rt_net_record(struct rt_net_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends a line and rewrites the file (atomically: a crash leaves the old one). */
static int rt_net_record(struct rt_net_job *j, const char *fmt, ...)
{
	size_t room = sizeof(j->state) - j->state_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(j->state + j->state_len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return rt_err_set(&j->err, E2BIG, "%s: too much to record", RT_NET_STATE);
	j->state_len += (size_t)n;
	return oci_file_write_atomic(j->dirfd, RT_NET_STATE, j->state, j->state_len, 0600, &j->err);
}

/* ---- reading the namespace -------------------------------------------------------- */

static int rt_net_link(const struct nl_link *l, void *arg)
{
	struct rt_net_job *j = arg;
	struct rt_netif *f;

	if (l->flags & IFF_LOOPBACK)
		return 0;
	/* Down carries nothing, and every namespace has some such when their modules
	 * are loaded on the host (sit0, tunl0, gre0: tunnel fallback devices). */
	if (!(l->flags & IFF_UP)) {
		rt_log_debug("network namespace %s: %s is down: not attached", j->path, l->name);
		return 0;
	}
	if (l->type != ARPHRD_ETHER || !l->has_mac)
		return rt_err_set(&j->err, EOPNOTSUPP,
				  "network namespace %s: interface %s is not Ethernet (link type "
				  "%u): runvm attaches Ethernet interfaces only",
				  j->path, l->name, l->type);
	if (!strncmp(l->name, "rvtap", 5) && !strcmp(l->kind, "tun"))
		return rt_err_set(&j->err, EBUSY,
				  "network namespace %s is already attached to a runvm VM (%s): "
				  "one VM per network namespace", j->path, l->name);
	if (j->net->n == PROTO_MAX_NETIFS)
		return rt_err_set(&j->err, E2BIG,
				  "network namespace %s: more than %d interfaces besides lo", j->path,
				  PROTO_MAX_NETIFS);
	f = &j->net->ifs[j->net->n];
	f->index = l->index;
	memcpy(f->name, l->name, sizeof(f->name));
	j->net->spec[j->net->n] = (struct proto_netif){ .name = f->name, .mtu = l->mtu,
							 .addrs = f->addrs };
	memcpy(j->net->spec[j->net->n].mac, l->mac, sizeof(l->mac));
	j->net->n++;
	return 0;
}

static int rt_net_find(const struct rt_net *n, int index)
{
	for (unsigned i = 0; i < n->n; i++)
		if (n->ifs[i].index == index)
			return (int)i;
	return -1;
}

static uint8_t rt_net_family(uint8_t af)
{
	return af == AF_INET ? PROTO_IP4 : PROTO_IP6;
}

/* Link-local IPv6 addresses are left out: the guest makes its own from the same MAC. */
static bool rt_net_ll6(uint8_t family, const uint8_t *a)
{
	return family == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static int rt_net_addr(const struct nl_addr *a, void *arg)
{
	struct rt_net_job *j = arg;
	int i = rt_net_find(j->net, a->index);
	struct proto_netif *p;

	if (i < 0 || (a->family != AF_INET && a->family != AF_INET6) ||
	    rt_net_ll6(a->family, a->addr) || a->scope == RT_SCOPE_HOST)
		return 0;
	p = &j->net->spec[i];
	if (p->n_addrs == PROTO_MAX_ADDRS)
		return rt_err_set(&j->err, E2BIG, "network namespace %s: more than %d addresses on %s",
				  j->path, PROTO_MAX_ADDRS, j->net->ifs[i].name);
	p->addrs[p->n_addrs] = (struct proto_ip){ .family = rt_net_family(a->family),
						  .prefix = a->prefix };
	memcpy(p->addrs[p->n_addrs].addr, a->addr, 16);
	p->n_addrs++;
	return 0;
}

/* The routes someone set up (not the kernel's own for addresses and links), in the
 * main table, through one of our interfaces. */
static int rt_net_route(const struct nl_route *r, void *arg)
{
	struct rt_net_job *j = arg;
	int i = rt_net_find(j->net, r->oif);
	struct proto_route *p;

	if (i < 0 || r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST ||
	    r->protocol == RTPROT_KERNEL || (r->family != AF_INET && r->family != AF_INET6) ||
	    (r->dst_len && rt_net_ll6(r->family, r->dst)))
		return 0;
	if (j->net->n_routes == PROTO_MAX_ROUTES)
		return rt_err_set(&j->err, E2BIG, "network namespace %s: more than %d routes",
				  j->path, PROTO_MAX_ROUTES);
	p = &j->net->routes[j->net->n_routes++];
	*p = (struct proto_route){ .netif = (uint32_t)i, .family = rt_net_family(r->family),
				   .dst_len = r->dst_len, .scope = r->scope, .metric = r->priority };
	memcpy(p->dst, r->dst, 16);
	if (r->has_gw) {
		p->flags |= PROTO_ROUTE_GW;
		memcpy(p->gw, r->gw, 16);
	}
	if (r->flags & RTNH_F_ONLINK)
		p->flags |= PROTO_ROUTE_ONLINK;
	return 0;
}

static int rt_net_read(struct rt_net_job *j, struct nl_sock *s)
{
	int r = nl_links(s, rt_net_link, j);

	if (!r)
		r = nl_addrs(s, rt_net_addr, j);
	if (!r)
		r = nl_routes(s, rt_net_route, j);
	if (r && !rt_err_isset(&j->err))
		rt_err_sys(&j->err, r, "network namespace %s: reading it", j->path);
	return r;
}

/* ---- taps and tc ---------------------------------------------------------------- */

/* Best effort: the tap's own IPv6 stack would otherwise send MLD reports to the
 * guest. (A sysctl write reaches the namespace of the writing thread.) */
static void rt_net_tap_quiet(const char *name)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, "1", 1) != 1)
		rt_log_debug("%s: %s", path, strerror(errno));
	close(fd);
}

static int rt_net_tap(struct rt_net_job *j, struct nl_sock *s, struct rt_netif *f, uint32_t mtu)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct nl_link_change up = { .up = true, .mtu = mtu, .no_ipv6_ll = true };
	int r;

	f->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	/* Not strerror's words for ENOENT: podman takes "no such file or directory"
	 * for a missing executable (exit 127). */
	if (f->tap_fd < 0 && errno == ENOENT)
		return rt_err_set(&j->err, ENODEV, "the network namespace %s needs taps, and this "
				  "host has no /dev/net/tun (load the tun module: modprobe tun)",
				  j->path);
	if (f->tap_fd < 0)
		return rt_err_sys(&j->err, errno, "/dev/net/tun");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "rvtap%%d");
	if (ioctl(f->tap_fd, TUNSETIFF, &ifr) < 0)
		return rt_err_sys(&j->err, errno, "network namespace %s: creating a tap", j->path);
	memcpy(f->tap_name, ifr.ifr_name, sizeof(f->tap_name) - 1);
	f->tap_index = (int)if_nametoindex(f->tap_name);
	if (!f->tap_index)
		return rt_err_sys(&j->err, errno, "tap %s", f->tap_name);
	rt_net_tap_quiet(f->tap_name);
	r = nl_link_change(s, f->tap_index, &up);
	if (r)
		return rt_err_sys(&j->err, r, "tap %s: MTU %u, up", f->tap_name, mtu);
	return 0;
}

/* tap -> interface first: the tap goes with its fd, so a failure after it leaves
 * nothing. Then the interface's qdisc, recorded before it exists. */
static int rt_net_wire(struct rt_net_job *j, struct nl_sock *s, struct rt_netif *f)
{
	int r = rt_tc_ingress_add(s, f->tap_index);

	if (!r)
		r = rt_tc_redirect(s, f->tap_index, f->index);
	if (r)
		return rt_err_sys(&j->err, r, "tc on tap %s (are sch_ingress, cls_u32 and act_mirred "
				  "available?)", f->tap_name);
	size_t before = j->state_len;

	r = rt_net_record(j, "qdisc %d %s\n", f->index, f->name);
	if (r)
		return r;
	r = rt_tc_ingress_add(s, f->index);
	if (r) {
		/* Not ours (one was there already, or none was made): not to undo. */
		j->state_len = before;
		oci_file_write_atomic(j->dirfd, RT_NET_STATE, j->state, j->state_len, 0600, NULL);
		if (r == -EEXIST)
			return rt_err_set(&j->err, EBUSY,
					  "network namespace %s: %s already has an ingress qdisc "
					  "(attached to another VM, or used by something else)",
					  j->path, f->name);
		return rt_err_sys(&j->err, r, "tc on %s", f->name);
	}
	f->wired = true;
	r = rt_tc_redirect(s, f->index, f->tap_index);
	return r ? rt_err_sys(&j->err, r, "tc on %s", f->name) : 0;
}

static void rt_net_unwire(struct rt_net_job *j, struct nl_sock *s)
{
	for (unsigned i = 0; i < j->net->n; i++) {
		int r;

		if (!j->net->ifs[i].wired)
			continue;
		r = rt_tc_ingress_del(s, j->net->ifs[i].index);
		j->net->ifs[i].wired = false;

		if (r && r != -ENOENT && r != -EINVAL)
			rt_log_warn("network namespace %s: removing the ingress qdisc of %s: %s",
				    j->path, j->net->ifs[i].name, strerror(-r));
	}
	rt_net_fini(j->net);
}

static int rt_net_do_attach(struct rt_net_job *j, struct nl_sock *s)
{
	int r = rt_net_read(j, s);

	for (unsigned i = 0; !r && i < j->net->n; i++) {
		r = rt_net_tap(j, s, &j->net->ifs[i], j->net->spec[i].mtu);
		if (!r)
			r = rt_net_wire(j, s, &j->net->ifs[i]);
	}
	if (r)
		rt_net_unwire(j, s);
	return r;
}

/* ---- the thread in the namespace --------------------------------------------------- */

static void *rt_net_thread(void *arg)
{
	struct rt_net_job *j = arg;
	struct nl_sock *s = malloc(sizeof(*s));

	if (!s) {
		j->ret = rt_err_set(&j->err, ENOMEM, "out of memory");
		return NULL;
	}
	if (setns(j->nsfd, CLONE_NEWNET) < 0) {
		j->ret = rt_err_sys(&j->err, errno, "entering the network namespace %s", j->path);
	} else if ((j->ret = nl_open(s)) < 0) {
		rt_err_sys(&j->err, j->ret, "netlink in the network namespace %s", j->path);
	} else {
		j->ret = j->fn(j, s);
		nl_close(s);
	}
	free(s);
	return NULL;
}

static int rt_net_run(struct rt_net_job *j, struct rt_err *err)
{
	pthread_t th;
	int r = pthread_create(&th, NULL, rt_net_thread, j);

	if (r)
		return rt_err_sys(err, r, "a thread for the network namespace");
	pthread_join(th, NULL);
	if (j->ret < 0)
		return rt_err_set(err, j->err.errnum ? j->err.errnum : -j->ret, "%s", j->err.msg);
	return 0;
}

/* Opens the namespace at path and refuses our own: attaching takes its interfaces
 * away from everything else in it. */
static int rt_net_open(const char *path, struct stat *st, struct rt_err *err)
{
	struct stat self;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return rt_err_sys(err, errno, "linux.namespaces: network namespace %s", path);
	if (fstat(fd, st) < 0 || stat("/proc/self/ns/net", &self) < 0) {
		int e = errno;

		close(fd);
		return rt_err_sys(err, e, "network namespace %s", path);
	}
	if (st->st_dev == self.st_dev && st->st_ino == self.st_ino) {
		close(fd);
		return rt_err_set(err, EINVAL,
				  "linux.namespaces: %s is the host's own network namespace; runvm "
				  "attaches a VM to a namespace by taking over its interfaces, so it "
				  "needs one of the container's own (or none, for a VM without a "
				  "network)", path);
	}
	return fd;
}

int rt_net_attach(int dirfd, const char *path, struct rt_net *n, struct rt_err *err)
{
	struct rt_net_job *j;
	struct stat st;
	int r;

	if (strchr(path, '\n'))
		return rt_err_set(err, EINVAL, "linux.namespaces: a network namespace path with a "
				  "newline");
	j = calloc(1, sizeof(*j));
	if (!j)
		return rt_err_set(err, ENOMEM, "out of memory");
	*j = (struct rt_net_job){ .path = path, .net = n, .dirfd = dirfd, .fn = rt_net_do_attach };
	j->nsfd = rt_net_open(path, &st, err);
	r = j->nsfd < 0 ? j->nsfd : 0;
	if (!r && rt_net_record(j, "netns %s\nid %llu %llu\n", path, (unsigned long long)st.st_dev,
				(unsigned long long)st.st_ino) < 0)
		r = rt_err_set(err, j->err.errnum, "%s", j->err.msg);
	if (!r)
		r = rt_net_run(j, err);
	if (j->nsfd >= 0)
		close(j->nsfd);
	free(j);
	return r;
}

/* ---- detach ----------------------------------------------------------------------- */

static int rt_net_do_detach(struct rt_net_job *j, struct nl_sock *s)
{
	char want[IF_NAMESIZE + 1], have[IF_NAMESIZE];
	char *line = j->state, *next;
	int index, r;

	for (; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "qdisc %d %16s", &index, want) != 2 || index <= 0)
			continue;
		/* Still the interface we wired: same index, same name. */
		if (!if_indextoname((unsigned)index, have) || strcmp(have, want))
			continue;
		r = rt_tc_ingress_del(s, index);
		if (r && r != -ENOENT && r != -EINVAL)
			return rt_err_sys(&j->err, r, "network namespace %s: removing the ingress "
					  "qdisc of %s", j->path, want);
	}
	return 0;
}

/* Reads net.state: 1 with the namespace's path and identity, 0 when there is none. */
static int rt_net_state_load(struct rt_net_job *j, char *path, size_t size, unsigned long long *dev,
			     unsigned long long *ino, struct rt_err *err)
{
	autoclose int fd = openat(j->dirfd, RT_NET_STATE, O_RDONLY | O_CLOEXEC);
	char *p, *nl;
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : rt_err_sys(err, errno, "%s", RT_NET_STATE);
	n = util_read_full(fd, j->state, sizeof(j->state) - 1);
	if (n < 0)
		return rt_err_sys(err, (int)-n, "%s", RT_NET_STATE);
	j->state[n] = 0;
	j->state_len = (size_t)n;
	if (strncmp(j->state, "netns ", 6) || !(nl = strchr(j->state, '\n')) ||
	    (size_t)(nl - j->state - 6) >= size)
		return 0;
	memcpy(path, j->state + 6, (size_t)(nl - j->state - 6));
	path[nl - j->state - 6] = 0;
	p = strstr(nl, "\nid ");
	return p && sscanf(p, "\nid %llu %llu", dev, ino) == 2;
}

int rt_net_detach(int dirfd, struct rt_err *err)
{
	struct rt_net_job *j = calloc(1, sizeof(*j));
	char path[PATH_MAX];
	unsigned long long dev = 0, ino = 0;
	struct rt_net none;
	struct stat st;
	int r;

	if (!j)
		return rt_err_set(err, ENOMEM, "out of memory");
	rt_net_init(&none);
	*j = (struct rt_net_job){ .path = path, .net = &none, .dirfd = dirfd, .nsfd = -1,
				  .fn = rt_net_do_detach };
	r = rt_net_state_load(j, path, sizeof(path), &dev, &ino, err);
	if (r > 0) {
		r = 0;
		/* Gone, or someone else's now: nothing of ours is left in it. */
		j->nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (j->nsfd >= 0 && fstat(j->nsfd, &st) == 0 && st.st_dev == dev && st.st_ino == ino)
			r = rt_net_run(j, err);
		else
			rt_log_debug("network namespace %s is gone: nothing to undo", path);
	}
	if (j->nsfd >= 0)
		close(j->nsfd);
	free(j);
	if (r == 0 && unlinkat(dirfd, RT_NET_STATE, 0) < 0 && errno != ENOENT)
		r = rt_err_sys(err, errno, "%s", RT_NET_STATE);
	return r;
}
