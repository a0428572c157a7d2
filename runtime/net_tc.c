/* tc over rtnetlink, for wiring a VM's tap to an interface of a network namespace
 * (Kata's "tcfilter" model): an ingress qdisc on each of the two, and on each a u32
 * filter that matches every frame with a mirred action redirecting it to the other's
 * egress. The interface keeps its addresses; its own stack just never sees a frame
 * again. u32 rather than matchall: every kernel that has tc has it (matchall is a
 * later, separately configured classifier). */
#include "runtime/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>

#define RT_TC_INGRESS_HANDLE 0xffff0000u /* "ffff:", the ingress qdisc's handle */
#define RT_TC_PRIO 1
#define RT_TC_ETH_P_ALL 0x0003

static struct tcmsg *rt_tc_msg(struct nl_msg *m, uint16_t type, uint16_t flags, int ifindex)
{
	struct tcmsg *t = nl_msg_init(m, type, flags, sizeof(*t));

	if (t) {
		t->tcm_family = AF_UNSPEC;
		t->tcm_ifindex = ifindex;
	}
	return t;
}

void rt_tc_ingress_req(struct nl_msg *m, int ifindex, bool add)
{
	struct tcmsg *t = add ? rt_tc_msg(m, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex)
			      : rt_tc_msg(m, RTM_DELQDISC, 0, ifindex);

	if (!t)
		return;
	t->tcm_parent = TC_H_INGRESS;
	t->tcm_handle = RT_TC_INGRESS_HANDLE;
	nl_put_str(m, TCA_KIND, "ingress");
}

/* The one action of the filter: redirect to `to`'s egress, and the frame is ours
 * (stolen: nothing else on `from`'s ingress sees it). */
static void rt_tc_mirred(struct nl_msg *m, int to)
{
	struct tc_mirred p;

	memset(&p, 0, sizeof(p));
	p.action = TC_ACT_STOLEN;
	p.eaction = TCA_EGRESS_REDIR;
	p.ifindex = (uint32_t)to;
	nl_nest_begin(m, 1); /* the first (and only) action */
	nl_put_str(m, TCA_ACT_KIND, "mirred");
	nl_nest_begin(m, TCA_ACT_OPTIONS);
	nl_put(m, TCA_MIRRED_PARMS, &p, sizeof(p));
	nl_nest_end(m);
	nl_nest_end(m);
}

void rt_tc_redirect_req(struct nl_msg *m, int from, int to)
{
	struct tcmsg *t = rt_tc_msg(m, RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, from);
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key; /* mask 0, value 0: every frame matches */
	} sel;

	if (!t)
		return;
	t->tcm_parent = RT_TC_INGRESS_HANDLE;
	t->tcm_info = TC_H_MAKE((uint32_t)RT_TC_PRIO << 16, htons(RT_TC_ETH_P_ALL));
	memset(&sel, 0, sizeof(sel));
	sel.sel.flags = TC_U32_TERMINAL;
	sel.sel.nkeys = 1;
	nl_put_str(m, TCA_KIND, "u32");
	nl_nest_begin(m, TCA_OPTIONS);
	nl_put(m, TCA_U32_SEL, &sel, sizeof(sel));
	nl_nest_begin(m, TCA_U32_ACT);
	rt_tc_mirred(m, to);
	nl_nest_end(m);
	nl_nest_end(m);
}

int rt_tc_ingress_add(struct nl_sock *s, int ifindex)
{
	struct nl_msg m;

	rt_tc_ingress_req(&m, ifindex, true);
	return nl_talk(s, &m);
}

int rt_tc_ingress_del(struct nl_sock *s, int ifindex)
{
	struct nl_msg m;

	rt_tc_ingress_req(&m, ifindex, false);
	return nl_talk(s, &m);
}

int rt_tc_redirect(struct nl_sock *s, int from, int to)
{
	struct nl_msg m;

	rt_tc_redirect_req(&m, from, to);
	return nl_talk(s, &m);
}
