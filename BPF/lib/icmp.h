/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ICMP errors about nat/gateway flows, translated so that they reach the side that sent the
 * packet they quote: path-MTU discovery ("fragmentation needed", "packet too big") and
 * unreachables work through the balancer. Only when some service is nat or gateway
 * (USHER_GLOBAL_F_NAT); any other ICMP is passed as before (USHER_STAT_PASS_NOT_L4).
 *
 * The quoted packet is one the balancer sent: to a real (src = SNAT address, dst = real), or to
 * a client (a reply: src = VIP, dst = client). Its tuple reversed is the key of the flow's
 * usher_natrev_v2 entry in the first case, of its usher_nat_v2 entry in the second. The quote
 * is rewritten into what the other side sent, and the outer header addressed to that side;
 * no header is added or removed, so MTU fields stay as the router wrote them.
 */
#ifndef USHER_LIB_ICMP_H
#define USHER_LIB_ICMP_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/csum.h"
#include "lib/forward.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/nat.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/* Error types that quote a packet (RFC 792, RFC 4443). */
#define USHER_ICMP_DEST_UNREACH 3   /* code 4: fragmentation needed (PMTU) */
#define USHER_ICMP_TIME_EXCEEDED 11
#define USHER_ICMP6_DEST_UNREACH 1
#define USHER_ICMP6_PACKET_TOO_BIG 2
#define USHER_ICMP6_TIME_EXCEEDED 3

#define USHER_ICMP_HLEN 8         /* type, code, checksum, 4 bytes (unused / MTU / pointer) */
#define USHER_QUOTE_L4_LEN 8      /* what every error quotes of TCP/UDP: ports and more */
#define USHER_QUOTE_TCP_CSUM 16   /* the TCP checksum's offset in its header */
#define USHER_QUOTE_UDP_CSUM 6

/* An ICMP or ICMPv6 header. */
struct usher_icmp_hdr {
	__u8 type;
	__u8 code;
	__u16 check;
	__u32 rest;
};

/* Where an ICMP error's parts lie (offsets from the frame's start), and its quoted tuple. */
struct usher_icmp_quote {
	struct usher_flow_key reversed; /* the quoted packet's tuple, reversed: a NAT map key */
	__u32 inner_off;    /* the quoted IP header */
	__u32 inner_l4_off; /* the quoted TCP/UDP header */
	__u32 l4_len;       /* bytes of it quoted */
};

/* Whether an ICMP type of the family is an error that quotes a packet. */
static __always_inline bool usher_icmp_is_error(__u8 type, __u8 family)
{
	if (family == USHER_FAMILY_V4)
		return type == USHER_ICMP_DEST_UNREACH || type == USHER_ICMP_TIME_EXCEEDED;
	return type == USHER_ICMP6_DEST_UNREACH || type == USHER_ICMP6_PACKET_TOO_BIG ||
	       type == USHER_ICMP6_TIME_EXCEEDED;
}

/* Reads the quoted packet of the error at pkt->l4_off: a whole IPv4 header (options allowed) or
 * IPv6 fixed header (no extension headers), then 8 bytes of TCP or UDP. Returns false if the
 * message is no such error. */
static __always_inline bool usher_icmp_read_quote(struct xdp_md *ctx, const struct usher_packet *pkt,
						  struct usher_icmp_quote *q)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = pkt->l4_off, ip_end = pkt->l2_len + pkt->ip_len;
	struct usher_icmp_hdr *icmp;
	__be16 *ports;
	__u8 proto;

	if (off > USHER_L4_MAX_OFF)
		return false;
	icmp = data + off;
	if ((void *)(icmp + 1) > data_end || !usher_icmp_is_error(icmp->type, pkt->flow.family))
		return false;
	q->inner_off = off + USHER_ICMP_HLEN;
	if (pkt->flow.family == USHER_FAMILY_V4) {
		struct iphdr *in = data + q->inner_off;

		if ((void *)(in + 1) > data_end || in->version != 4 || in->ihl < 5)
			return false;
		proto = in->protocol;
		q->inner_l4_off = q->inner_off + in->ihl * 4;
		__builtin_memcpy(q->reversed.src, &in->daddr, 4);
		__builtin_memcpy(q->reversed.dst, &in->saddr, 4);
	} else {
		struct ipv6hdr *in = data + q->inner_off;

		if ((void *)(in + 1) > data_end || in->version != 6)
			return false;
		proto = in->nexthdr;
		q->inner_l4_off = q->inner_off + sizeof(*in);
		__builtin_memcpy(q->reversed.src, &in->daddr, 16);
		__builtin_memcpy(q->reversed.dst, &in->saddr, 16);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	if (q->inner_l4_off + USHER_QUOTE_L4_LEN > ip_end || q->inner_l4_off > USHER_L4_MAX_OFF + 128)
		return false;
	ports = data + q->inner_l4_off;
	if ((void *)ports + USHER_QUOTE_L4_LEN > data_end)
		return false;
	q->reversed.sport = ports[1];
	q->reversed.dport = ports[0];
	q->reversed.proto = proto;
	q->reversed.family = pkt->flow.family;
	q->l4_len = ip_end - q->inner_l4_off;
	return true;
}

/* Rewrites the error: outer addresses to `outer`, the quote's addresses and ports to `inner`
 * (its IPv4 header checksum, and its TCP/UDP checksum when quoted, follow), and the ICMP
 * checksum (ICMPv6: over the pseudo-header too). Returns false, having written nothing, if a
 * part is not where usher_icmp_read_quote found it. */
static __always_inline bool usher_icmp_rewrite(struct xdp_md *ctx, const struct usher_packet *pkt,
					       const struct usher_icmp_quote *q,
					       const struct usher_nat_rewrite *outer,
					       const struct usher_nat_rewrite *inner)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	const struct usher_flow_key *r = &q->reversed;
	__u8 family = pkt->flow.family, v4 = family == USHER_FAMILY_V4;
	__u32 icmp_off = pkt->l4_off, in_off = q->inner_off, l4_off = q->inner_l4_off;
	__u64 outer_d, inner_a, inner_p, icmp_d;
	struct usher_icmp_hdr *icmp;
	__u16 *l4, *ck = NULL, old, new;
	void *l3 = data + pkt->l2_len, *in;

	if (icmp_off > USHER_L4_MAX_OFF || in_off > USHER_L4_MAX_OFF + 8 ||
	    l4_off > USHER_L4_MAX_OFF + 128)
		return false;
	icmp = data + icmp_off;
	in = data + in_off;
	l4 = data + l4_off;
	if ((void *)(icmp + 1) > data_end || (void *)l4 + USHER_QUOTE_L4_LEN > data_end ||
	    l3 + (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) > data_end ||
	    in + (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)) > data_end)
		return false;
	if (r->proto == IPPROTO_TCP && q->l4_len >= USHER_QUOTE_TCP_CSUM + 2)
		ck = (void *)l4 + USHER_QUOTE_TCP_CSUM;
	else if (r->proto == IPPROTO_UDP)
		ck = (void *)l4 + USHER_QUOTE_UDP_CSUM;
	if (ck && (void *)(ck + 1) > data_end)
		return false;

	/* The quote's old source is the reversed key's dst, its old destination the key's src. */
	outer_d = usher_csum_delta_addr(0, pkt->flow.src, outer->src, family);
	outer_d = usher_csum_delta_addr(outer_d, pkt->flow.dst, outer->dst, family);
	inner_a = usher_csum_delta_addr(0, r->dst, inner->src, family);
	inner_a = usher_csum_delta_addr(inner_a, r->src, inner->dst, family);
	inner_p = usher_csum_delta16(0, r->dport, inner->sport);
	inner_p = usher_csum_delta16(inner_p, r->sport, inner->dport);
	icmp_d = inner_a + inner_p + (v4 ? 0 : outer_d);

	if (v4) {
		struct iphdr *iph = l3, *qh = in;

		if ((void *)(iph + 1) > data_end || (void *)(qh + 1) > data_end)
			return false;
		__builtin_memcpy(&iph->saddr, outer->src, 4);
		__builtin_memcpy(&iph->daddr, outer->dst, 4);
		iph->check = usher_csum_update(iph->check, outer_d);
		__builtin_memcpy(&qh->saddr, inner->src, 4);
		__builtin_memcpy(&qh->daddr, inner->dst, 4);
		old = qh->check;
		qh->check = usher_csum_update(old, inner_a);
		icmp_d = usher_csum_delta16(icmp_d, old, qh->check);
	} else {
		struct ipv6hdr *ip6 = l3, *qh = in;

		if ((void *)(ip6 + 1) > data_end || (void *)(qh + 1) > data_end)
			return false;
		__builtin_memcpy(&ip6->saddr, outer->src, 16);
		__builtin_memcpy(&ip6->daddr, outer->dst, 16);
		__builtin_memcpy(&qh->saddr, inner->src, 16);
		__builtin_memcpy(&qh->daddr, inner->dst, 16);
	}
	if ((void *)l4 + USHER_QUOTE_L4_LEN > data_end)
		return false;
	l4[0] = inner->sport;
	l4[1] = inner->dport;
	/* A UDP checksum of 0 (none) is quoted as it was sent: leave it. */
	if (ck && (void *)(ck + 1) <= data_end && *ck != 0) {
		old = *ck;
		new = usher_csum_update(old, inner_a + inner_p);
		if (r->proto == IPPROTO_UDP && new == 0)
			new = 0xFFFF;
		*ck = new;
		icmp_d = usher_csum_delta16(icmp_d, old, new);
	}
	icmp->check = usher_csum_update(icmp->check, icmp_d);
	return true;
}

/* Translates an ICMP error about a nat/gateway flow towards the side that sent the quoted
 * packet's original; returns TX/REDIRECT (counted NAT_ICMP too), or USHER_STAT_PASS_NOT_L4
 * for anything else, untouched. */
static __attribute__((noinline)) __u32 usher_nat_icmp(struct xdp_md *ctx, struct usher_packet *pkt)
{
	const struct usher_global *g;
	const struct usher_nat_reply *e;
	const struct usher_nat_flow *f;
	const struct usher_real *real = NULL;
	struct usher_nat_rewrite outer = {}, inner = {};
	struct usher_icmp_quote q = {};
	__u8 client_mac[ETH_ALEN], local_mac[ETH_ALEN];
	__u32 ifindex = 0, reason;

	g = bpf_map_lookup_elem(&usher_global_v2, &pkt->zero);
	if (!g || !(g->flags & USHER_GLOBAL_F_NAT) || !usher_icmp_read_quote(ctx, pkt, &q))
		return USHER_STAT_PASS_NOT_L4;

	/* The outer source is kept unless it was the quote's destination (the end host itself
	 * answered), which is then the address that host's peer knows it by. */
	__builtin_memcpy(outer.src, pkt->flow.src, sizeof(outer.src));
	e = bpf_map_lookup_elem(&usher_natrev_v2, &q.reversed);
	if (e) {
		/* About a packet sent to a real: to the client, as if about the client's packet. */
		__builtin_memcpy(inner.src, e->client.src, sizeof(inner.src));
		__builtin_memcpy(inner.dst, e->client.dst, sizeof(inner.dst));
		inner.sport = e->client.sport;
		inner.dport = e->client.dport;
		__builtin_memcpy(outer.dst, e->client.src, sizeof(outer.dst));
		if (usher_addr_eq(pkt->flow.src, q.reversed.src))
			__builtin_memcpy(outer.src, e->client.dst, sizeof(outer.src));
		__builtin_memcpy(client_mac, e->client_mac, ETH_ALEN);
		__builtin_memcpy(local_mac, e->local_mac, ETH_ALEN);
		ifindex = e->ifindex;
	} else {
		/* About a reply sent to a client: to the real, as if about the real's reply. */
		f = bpf_map_lookup_elem(&usher_nat_v2, &q.reversed);
		if (!f)
			return USHER_STAT_PASS_NOT_L4;
		real = usher_lookup_real(pkt->slot, f->real_id);
		if (!real)
			return USHER_STAT_PASS_NOT_L4;
		__builtin_memcpy(inner.src, real->addr, sizeof(inner.src));
		__builtin_memcpy(inner.dst, f->snat_addr, sizeof(inner.dst));
		inner.sport = f->real_port;
		inner.dport = f->snat_port;
		__builtin_memcpy(outer.dst, real->addr, sizeof(outer.dst));
		if (usher_addr_eq(pkt->flow.src, q.reversed.src))
			__builtin_memcpy(outer.src, f->snat_addr, sizeof(outer.src));
	}
	if (!usher_icmp_rewrite(ctx, pkt, &q, &outer, &inner))
		return USHER_STAT_PASS_NOT_L4;
	if (real)
		reason = usher_forward(ctx, real);
	else
		reason = usher_egress(ctx, client_mac, local_mac, local_mac, ifindex);
	usher_count(pkt, USHER_STAT_NAT_ICMP);
	return reason;
}

#endif /* USHER_LIB_ICMP_H */
