/* The network part of the container spec (struct proto_netif, struct proto_route),
 * the last fields of CREATE since protocol version 3. The decoder checks structure
 * and bounds (families, prefix lengths, the interface a route names); the guest
 * checks the rest (names, MTU) when it applies them. */
#include "common/proto.h"

#include <errno.h>
#include <string.h>

static void proto_net_invalid(struct proto_rd *r)
{
	if (!r->err)
		r->err = -EINVAL;
	r->n = 0;
}

static void proto_net_bad(struct proto_buf *b, int err)
{
	if (!b->err)
		b->err = err;
}

static unsigned proto_ip_bits(uint8_t family)
{
	return family == PROTO_IP4 ? 32 : family == PROTO_IP6 ? 128 : 0;
}

static void proto_enc_ip(struct proto_buf *b, const struct proto_ip *ip)
{
	if (!proto_ip_bits(ip->family) || ip->prefix > proto_ip_bits(ip->family))
		proto_net_bad(b, -EINVAL);
	proto_put_bytes(b, &ip->family, 1);
	proto_put_bytes(b, &ip->prefix, 1);
	proto_put_bytes(b, ip->addr, sizeof(ip->addr));
}

static void proto_enc_netif(struct proto_buf *b, const struct proto_netif *n)
{
	if (!n->name || !n->name[0])
		proto_net_bad(b, -EINVAL);
	if (n->n_addrs > PROTO_MAX_ADDRS)
		proto_net_bad(b, -E2BIG);
	proto_put_str(b, n->name, PROTO_IFNAME_MAX);
	proto_put_bytes(b, n->mac, sizeof(n->mac));
	proto_put_u32(b, n->mtu);
	proto_put_u32(b, n->n_addrs);
	for (uint32_t i = 0; i < n->n_addrs && !b->err; i++)
		proto_enc_ip(b, &n->addrs[i]);
}

static void proto_enc_route(struct proto_buf *b, const struct proto_route *rt, uint32_t n_netifs)
{
	if (rt->netif >= n_netifs || !proto_ip_bits(rt->family) ||
	    rt->dst_len > proto_ip_bits(rt->family) || rt->flags & ~PROTO_ROUTE_FLAGS)
		proto_net_bad(b, -EINVAL);
	proto_put_u32(b, rt->netif);
	proto_put_bytes(b, &rt->family, 1);
	proto_put_bytes(b, &rt->dst_len, 1);
	proto_put_bytes(b, &rt->scope, 1);
	proto_put_bytes(b, &rt->flags, 1);
	proto_put_bytes(b, rt->dst, sizeof(rt->dst));
	proto_put_bytes(b, rt->gw, sizeof(rt->gw));
	proto_put_u32(b, rt->metric);
}

void proto_enc_net(struct proto_buf *b, const struct proto_spec *s)
{
	if (s->n_netifs > PROTO_MAX_NETIFS || s->n_routes > PROTO_MAX_ROUTES)
		proto_net_bad(b, -E2BIG);
	proto_put_u32(b, s->n_netifs);
	for (uint32_t i = 0; i < s->n_netifs && !b->err; i++)
		proto_enc_netif(b, &s->netifs[i]);
	proto_put_u32(b, s->n_routes);
	for (uint32_t i = 0; i < s->n_routes && !b->err; i++)
		proto_enc_route(b, &s->routes[i], s->n_netifs);
}

/* ---- decoding ------------------------------------------------------------------- */

#define PROTO_IP_WIRE 18     /* family, prefix, address */
#define PROTO_NETIF_MIN 19   /* an empty name, mac, mtu, no addresses */
#define PROTO_ROUTE_WIRE 44

static void proto_dec_ip(struct proto_rd *r, struct proto_ip *ip)
{
	proto_get_bytes(r, &ip->family, 1);
	proto_get_bytes(r, &ip->prefix, 1);
	proto_get_bytes(r, ip->addr, sizeof(ip->addr));
	if (!r->err && (!proto_ip_bits(ip->family) || ip->prefix > proto_ip_bits(ip->family)))
		proto_net_invalid(r);
}

static void proto_dec_netif(struct proto_rd *r, struct proto_netif *n)
{
	n->name = proto_get_str(r, PROTO_IFNAME_MAX);
	if (!r->err && !n->name[0])
		proto_net_invalid(r);
	proto_get_bytes(r, n->mac, sizeof(n->mac));
	n->mtu = proto_get_u32(r);
	n->n_addrs = proto_get_count(r, PROTO_MAX_ADDRS, PROTO_IP_WIRE);
	n->addrs = proto_get_array(r, n->n_addrs, sizeof(*n->addrs));
	for (uint32_t i = 0; n->addrs && i < n->n_addrs; i++)
		proto_dec_ip(r, &n->addrs[i]);
}

static void proto_dec_route(struct proto_rd *r, struct proto_route *rt, uint32_t n_netifs)
{
	rt->netif = proto_get_u32(r);
	proto_get_bytes(r, &rt->family, 1);
	proto_get_bytes(r, &rt->dst_len, 1);
	proto_get_bytes(r, &rt->scope, 1);
	proto_get_bytes(r, &rt->flags, 1);
	proto_get_bytes(r, rt->dst, sizeof(rt->dst));
	proto_get_bytes(r, rt->gw, sizeof(rt->gw));
	rt->metric = proto_get_u32(r);
	if (!r->err && (rt->netif >= n_netifs || !proto_ip_bits(rt->family) ||
			rt->dst_len > proto_ip_bits(rt->family) || rt->flags & ~PROTO_ROUTE_FLAGS))
		proto_net_invalid(r);
}

void proto_dec_net(struct proto_rd *r, struct proto_spec *s)
{
	s->n_netifs = proto_get_count(r, PROTO_MAX_NETIFS, PROTO_NETIF_MIN);
	s->netifs = proto_get_array(r, s->n_netifs, sizeof(*s->netifs));
	for (uint32_t i = 0; s->netifs && i < s->n_netifs; i++)
		proto_dec_netif(r, &s->netifs[i]);
	s->n_routes = proto_get_count(r, PROTO_MAX_ROUTES, PROTO_ROUTE_WIRE);
	s->routes = proto_get_array(r, s->n_routes, sizeof(*s->routes));
	for (uint32_t i = 0; s->routes && i < s->n_routes; i++)
		proto_dec_route(r, &s->routes[i], s->n_netifs);
	if (r->err) {
		s->n_netifs = s->n_routes = 0;
		s->netifs = NULL;
		s->routes = NULL;
	}
}
