/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * nat and gateway modes. Forward (client -> real): the flow's translation from usher_nat_v2,
 * or for a new flow a real by Maglev and a reply tuple reserved by snat.h; then destination :=
 * the real's address and port, and (nat) source := the SNAT address and port. Reply (real ->
 * client): the usher_natrev_v2 entry of the reply tuple rewrites it back (source := VIP:port,
 * destination := client) and sends it out of the interface, to the MAC, the client's packets
 * came from ("auto last hop"). Checksums are updated incrementally (csum.h); TTL and hop limit
 * are left alone (the balancer is not a router hop for the flow).
 */
#ifndef USHER_LIB_NAT_H
#define USHER_LIB_NAT_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/clock.h"
#include "lib/conntrack.h"
#include "lib/csum.h"
#include "lib/forward.h"
#include "lib/hash.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/snat.h"
#include "lib/stats.h"

/* What a packet's addresses and ports become. */
struct usher_nat_rewrite {
	__u8 src[16]; /* network order, like every field here */
	__u8 dst[16];
	__be16 sport;
	__be16 dport;
};

/* Returns one side's USHER_NAT_S_* after it sent TCP flags `flags` (0 for UDP): FIN and RST
 * are added; `opens` (a new connection on a reused tuple) starts over from 0. */
static __always_inline __u8 usher_nat_state(__u8 state, __u8 flags, bool opens)
{
	if (opens)
		state = 0;
	if (flags & USHER_TCP_FIN)
		state |= USHER_NAT_S_FIN;
	if (flags & USHER_TCP_RST)
		state |= USHER_NAT_S_RST;
	return state;
}

/* Rewrites the parsed packet's addresses and ports to rw: IPv4 header checksum, and TCP/UDP
 * checksum over the pseudo-header and ports, updated incrementally (an IPv4 UDP checksum of 0
 * stays 0). The old values are the parser's. Returns false, having written nothing, if a
 * header is not where the parser found it (it always is). */
static __always_inline bool usher_nat_rewrite(struct xdp_md *ctx, const struct usher_packet *pkt,
					      const struct usher_nat_rewrite *rw)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct usher_flow_key *old = &pkt->flow;
	__u32 l4_off = pkt->l4_off;
	void *l3 = data + pkt->l2_len;
	struct tcphdr *th;
	struct udphdr *uh;
	__u64 addrs, ports;

	if (l4_off > USHER_L4_MAX_OFF)
		return false;
	/* Bounds first: nothing is written unless every header is there. */
	th = data + l4_off;
	uh = data + l4_off;
	if (old->proto == IPPROTO_TCP ? (void *)(th + 1) > data_end : (void *)(uh + 1) > data_end)
		return false;
	if (old->family == USHER_FAMILY_V4 ? l3 + sizeof(struct iphdr) > data_end :
					     l3 + sizeof(struct ipv6hdr) > data_end)
		return false;

	addrs = usher_csum_delta_addr(0, old->src, rw->src, old->family);
	addrs = usher_csum_delta_addr(addrs, old->dst, rw->dst, old->family);
	ports = usher_csum_delta16(0, old->sport, rw->sport);
	ports = usher_csum_delta16(ports, old->dport, rw->dport);
	if (old->family == USHER_FAMILY_V4) {
		struct iphdr *iph = l3;

		if ((void *)(iph + 1) > data_end)
			return false;
		__builtin_memcpy(&iph->saddr, rw->src, sizeof(iph->saddr));
		__builtin_memcpy(&iph->daddr, rw->dst, sizeof(iph->daddr));
		iph->check = usher_csum_update(iph->check, addrs);
	} else {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return false;
		__builtin_memcpy(&ip6->saddr, rw->src, sizeof(ip6->saddr));
		__builtin_memcpy(&ip6->daddr, rw->dst, sizeof(ip6->daddr));
	}
	if (old->proto == IPPROTO_TCP) {
		if ((void *)(th + 1) > data_end)
			return false;
		th->source = rw->sport;
		th->dest = rw->dport;
		th->check = usher_csum_update(th->check, addrs + ports);
	} else {
		if ((void *)(uh + 1) > data_end)
			return false;
		uh->source = rw->sport;
		uh->dest = rw->dport;
		uh->check = usher_csum_update_udp(uh->check, addrs + ports, old->family);
	}
	return true;
}

/* Deletes the two entries of the tracked flow `flow` (the packet's tuple) to `real`: its
 * forward entry, and its reply entry if that still is this flow's (a reclaimed tuple belongs to
 * another flow now). Both go, so the tables stay exact whatever happens next. */
static __always_inline void usher_nat_release(const struct usher_nat_flow *flow,
					      const struct usher_real *real,
					      const struct usher_packet *pkt)
{
	struct usher_flow_key reply = {};
	struct usher_nat_reply *held;

	__builtin_memcpy(reply.src, real->addr, sizeof(reply.src));
	__builtin_memcpy(reply.dst, flow->snat_addr, sizeof(reply.dst));
	reply.sport = flow->real_port;
	reply.dport = flow->snat_port;
	reply.proto = pkt->flow.proto;
	reply.family = pkt->flow.family;
	held = bpf_map_lookup_elem(&usher_natrev_v2, &reply);
	if (held && usher_flow_key_eq(&held->client, &pkt->flow))
		bpf_map_delete_elem(&usher_natrev_v2, &reply);
	bpf_map_delete_elem(&usher_nat_v2, &pkt->flow);
}

/* A new nat/gateway flow (or one whose real left the service: rescheduled) on the real of the
 * placement pl (Maglev's pick): a reserved reply tuple, both entries written, the flow event
 * counted. Returns true with the translation in *rw; or false with the drop reason in *reason. */
static __always_inline bool usher_nat_new_flow(struct xdp_md *ctx, struct usher_packet *pkt,
					       const struct usher_service *svc,
					       const struct usher_placement *pl, bool rescheduled,
					       __u64 now, struct usher_nat_rewrite *rw, __u32 *reason)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct usher_real *real = pl->real;
	struct usher_ethhdr *eth = data;
	struct usher_nat_flow flow = {};
	const struct usher_global *g;
	struct usher_snat_probe *p;
	__u32 zero = 0, id = pl->real_id;

	if (!real || real->family != pkt->flow.family) {
		usher_count_no_real(svc->id);
		*reason = USHER_STAT_DROP_NO_REAL;
		return false;
	}
	g = bpf_map_lookup_elem(&usher_global_v2, &zero);
	p = bpf_map_lookup_elem(&usher_snat_scratch, &zero);
	if (!g || !p || (void *)(eth + 1) > data_end) {
		*reason = USHER_STAT_PASS_MALFORMED; /* none of these can happen */
		return false;
	}

	/* The reply as the real will send it, and where it goes back to. */
	__builtin_memset(p, 0, sizeof(*p));
	__builtin_memcpy(p->key.src, real->addr, sizeof(p->key.src));
	p->key.sport = real->port ? real->port : pkt->flow.dport;
	p->key.proto = pkt->flow.proto;
	p->key.family = pkt->flow.family;
	p->entry.client = pkt->flow;
	p->entry.real_id = id;
	p->entry.service_id = svc->id;
	p->entry.ifindex = ctx->ingress_ifindex;
	__builtin_memcpy(p->entry.client_mac, eth->src, ETH_ALEN);
	__builtin_memcpy(p->entry.local_mac, eth->dst, ETH_ALEN);
	p->entry.last_seen_ns = now;
	p->now = now;
	if (!usher_snat_reserve(p, pkt, svc, g)) {
		usher_count_nat_exhausted(svc->id);
		*reason = USHER_STAT_DROP_NAT_EXHAUSTED;
		return false;
	}
	if (p->reclaimed)
		usher_count(pkt, USHER_STAT_NAT_RECLAIMED);

	__builtin_memcpy(flow.snat_addr, p->key.dst, sizeof(flow.snat_addr));
	flow.snat_port = p->key.dport;
	flow.real_port = p->key.sport;
	flow.real_id = id;
	flow.service_id = svc->id;
	flow.state = usher_nat_state(0, pkt->tcp_flags, false);
	flow.last_seen_ns = now;
	bpf_map_update_elem(&usher_nat_v2, &pkt->flow, &flow, BPF_ANY);
	if (rescheduled) {
		usher_count(pkt, USHER_STAT_CT_RESCHEDULED);
	} else {
		usher_count_new_flow(pkt, svc->id, id);
	}

	__builtin_memcpy(rw->src, flow.snat_addr, sizeof(rw->src));
	rw->sport = flow.snat_port;
	rw->dport = flow.real_port;
	return true;
}

/* Forwards a packet of a nat or gateway service to its flow's real, translated; returns the
 * verdict reason (TX/REDIRECT, or DROP_NO_REAL / DROP_NAT_EXHAUSTED for a flow that cannot
 * start). The real is placed as in dsr (usher_place): an established flow whose real is still a
 * member of the service is a CT_HIT. A SYN without ACK on a tracked tuple is a new connection:
 * if Maglev gives it the tracked real, the flow's entries stay (CT_HIT, TCP states start over);
 * if Maglev gives another (the tracked real drains, or the table changed), both entries are
 * released and it starts as a new flow (CT_NEW), or is dropped, leaving no entry, if it cannot. */
static __attribute__((noinline)) __u32 usher_nat_forward(struct xdp_md *ctx, struct usher_packet *pkt,
					       const struct usher_service *svc)
{
	struct usher_nat_flow *flow = bpf_map_lookup_elem(&usher_nat_v2, &pkt->flow);
	__u64 now = usher_now_ns();
	struct usher_nat_rewrite rw = {};
	struct usher_placement pl;
	__u32 reason = USHER_STAT_PASS_MALFORMED;
	__u8 flags = pkt->tcp_flags, state;
	bool opens = usher_tcp_opens(pkt);

	usher_place(pkt, svc, flow && flow->service_id == svc->id ? flow->real_id : USHER_NO_REAL,
		    opens, &pl);
	if (flow && pl.tracked && !pl.stays) {
		usher_nat_release(flow, pl.tracked, pkt); /* a new connection, moved by Maglev */
		flow = NULL;
	}
	if (flow && pl.stays) {
		state = usher_nat_state(flow->state, flags, opens);
		if (state != flow->state)
			flow->state = state;
		if (now > flow->last_seen_ns + USHER_CT_REFRESH_NS)
			flow->last_seen_ns = now;
		__builtin_memcpy(rw.src, flow->snat_addr, sizeof(rw.src));
		rw.sport = flow->snat_port;
		rw.dport = flow->real_port;
		usher_count(pkt, USHER_STAT_CT_HIT);
	} else if (!usher_nat_new_flow(ctx, pkt, svc, &pl, flow && !opens, now, &rw, &reason)) {
		/* A SYN is a new connection wherever its tuple was: CT_NEW, not CT_RESCHEDULED. */
		return reason;
	}
	__builtin_memcpy(rw.dst, pl.real->addr, sizeof(rw.dst));
	if (!usher_nat_rewrite(ctx, pkt, &rw))
		return USHER_STAT_PASS_MALFORMED;
	reason = usher_forward(ctx, pl.real);
	usher_count_real(pl.real_id, pkt);
	return reason;
}

/* Translates a reply of a nat/gateway flow (a packet to a SNAT address or from a gateway real)
 * back to its client; returns TX/REDIRECT, or USHER_STAT_PASS_NO_FLOW if no flow owns it. */
static __attribute__((noinline)) __u32 usher_nat_reply(struct xdp_md *ctx, struct usher_packet *pkt)
{
	struct usher_nat_reply *e = bpf_map_lookup_elem(&usher_natrev_v2, &pkt->flow);
	struct usher_nat_rewrite rw = {};
	__u8 flags = pkt->tcp_flags, state;
	__u32 reason;
	__u64 now;

	if (!e)
		return USHER_STAT_PASS_NO_FLOW;
	now = usher_now_ns();
	/* The real's SYN (a SYN-ACK) answers a new connection on the tuple. */
	state = usher_nat_state(e->state, flags, flags & USHER_TCP_SYN);
	if (state != e->state)
		e->state = state;
	if (now > e->last_seen_ns + USHER_CT_REFRESH_NS)
		e->last_seen_ns = now;
	__builtin_memcpy(rw.src, e->client.dst, sizeof(rw.src));
	__builtin_memcpy(rw.dst, e->client.src, sizeof(rw.dst));
	rw.sport = e->client.dport;
	rw.dport = e->client.sport;
	if (!usher_nat_rewrite(ctx, pkt, &rw))
		return USHER_STAT_PASS_MALFORMED;
	reason = usher_egress(ctx, e->client_mac, e->local_mac, e->local_mac, e->ifindex);
	usher_count(pkt, USHER_STAT_NAT_REPLY);
	usher_count_reply(e->service_id, pkt);
	return reason;
}

#endif /* USHER_LIB_NAT_H */
