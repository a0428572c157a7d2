/* The VM's network interfaces: `--net` parsed into struct vmm_net, checked before
 * anything runs, and each attached as a virtio-net device over its tap (an fd we were
 * given, or a tap we open by name). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/virtio/net.h"
#include "vmm/vmm.h"

static int vmm_net_mac(const char *s, uint8_t mac[NET_MAC_LEN])
{
	unsigned v[NET_MAC_LEN];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != NET_MAC_LEN || strlen(s) != 17)
		return -EINVAL;
	for (unsigned i = 0; i < NET_MAC_LEN; i++)
		mac[i] = (uint8_t)v[i];
	/* A multicast address cannot be a NIC's own. */
	return mac[0] & 1 ? -EINVAL : 0;
}

static int vmm_net_num(const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno || end == s || *end || *out < min || *out > max ? -EINVAL : 0;
}

/* One key=value of --net. */
static int vmm_net_opt(struct vmm_net *n, const char *key, const char *val)
{
	long v;

	if (!strcmp(key, "tapfd")) {
		if (vmm_net_num(val, 3, 1 << 20, &v))
			return -EINVAL;
		n->fd = (int)v;
	} else if (!strcmp(key, "tap")) {
		if (!*val || strlen(val) >= sizeof(n->tap))
			return -EINVAL;
		strcpy(n->tap, val);
	} else if (!strcmp(key, "mac")) {
		if (vmm_net_mac(val, n->mac))
			return -EINVAL;
		n->has_mac = true;
	} else if (!strcmp(key, "mtu")) {
		if (vmm_net_num(val, 68, 65535, &v))
			return -EINVAL;
		n->mtu = (uint16_t)v;
	} else if (!strcmp(key, "offload")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return -EINVAL;
		n->no_offload = !strcmp(val, "off");
	} else {
		return -ENOENT;
	}
	return 0;
}

int vmm_parse_net(struct vmm_config *c, char *arg)
{
	struct vmm_net *n;
	char *save = NULL, *tok;

	if (c->nr_net == VMM_MAX_NET) {
		log_error("at most %d --net", VMM_MAX_NET);
		return -EINVAL;
	}
	n = &c->net[c->nr_net];
	memset(n, 0, sizeof(*n));
	n->fd = -1;
	for (tok = strtok_r(arg, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int ret;

		if (!eq) {
			log_error("--net: '%s' is not KEY=VALUE", tok);
			return -EINVAL;
		}
		*eq = 0;
		ret = vmm_net_opt(n, tok, eq + 1);
		if (ret) {
			log_error(ret == -ENOENT ? "--net: unknown option '%s'"
						 : "--net: bad value for '%s'",
				  tok);
			return -EINVAL;
		}
	}
	if ((n->fd >= 0) == !!n->tap[0]) {
		log_error("--net needs one of tapfd=N and tap=NAME");
		return -EINVAL;
	}
	c->nr_net++;
	return 0;
}

int vmm_check_nets(const struct vmm_config *c)
{
	for (unsigned i = 0; i < c->nr_net; i++) {
		int fd = c->net[i].fd;

		if (fd < 0)
			continue;
		/* Ours alone from here on: virtiofsd and anything else we start must not
		 * keep the tap (and with it the guest's network) alive after us. */
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_error("--net tapfd=%d: %s", fd, strerror(errno));
			return -EBADF;
		}
	}
	return 0;
}

static int vmm_add_net(struct vmm *v, unsigned i)
{
	const struct vmm_net *vn = &v->cfg->net[i];
	struct net_cfg nc = { .fd = vn->fd, .tap = true, .mtu = vn->mtu,
			      .no_offload = vn->no_offload };
	const char *what = vn->tap[0] ? vn->tap : "tapfd";
	int ret;

	if (vn->tap[0]) {
		ret = net_tap_open(vn->tap, &nc.fd);
		if (ret) {
			log_error("--net tap=%s: %s", vn->tap, strerror(-ret));
			return ret;
		}
	} else {
		/* The device owns the fd it is given; the configuration keeps its own. */
		nc.fd = fcntl(vn->fd, F_DUPFD_CLOEXEC, 3);
		if (nc.fd < 0)
			return -errno;
	}
	if (vn->has_mac) {
		memcpy(nc.mac, vn->mac, NET_MAC_LEN);
	} else {
		/* Locally administered, unicast, random. */
		if (getrandom(nc.mac, NET_MAC_LEN, 0) != NET_MAC_LEN)
			memset(nc.mac, 0x5a, NET_MAC_LEN);
		nc.mac[0] = (uint8_t)((nc.mac[0] & 0xfe) | 0x02);
	}
	ret = net_create(&v->net[i], v->loop, &v->mem, &nc);
	if (ret) {
		log_error("--net %s: %s", what,
			  ret == -EINVAL ? "not a tap with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR"
					 : strerror(-ret));
		return ret;
	}
	return vmm_add_virtio(v, net_dev(v->net[i]));
}

int vmm_add_nets(struct vmm *v)
{
	for (unsigned i = 0; i < v->cfg->nr_net; i++) {
		int ret = vmm_add_net(v, i);

		if (ret)
			return ret;
	}
	return 0;
}

void vmm_remove_nets(struct vmm *v)
{
	for (unsigned i = 0; i < VMM_MAX_NET; i++) {
		net_destroy(v->net[i]);
		v->net[i] = NULL;
	}
}
