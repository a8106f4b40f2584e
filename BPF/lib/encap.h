/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * IP-in-IP encapsulation for dsr-ipip: an outer IPv4 (protocol 4) or IPv6 (next header 41)
 * header towards the real server is inserted between the L2 header and the client's packet.
 * The Ethernet header and any VLAN tags move to the new front unchanged; forward.h then
 * rewrites the MAC addresses as for dsr-l2. Outer headers are built on the stack, checksummed
 * there, and stored whole once the gap for them is bounds-checked.
 */
#ifndef USHER_LIB_ENCAP_H
#define USHER_LIB_ENCAP_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/csum.h"
#include "lib/hash.h"
#include "lib/maps.h"
#include "lib/parsing.h"

#define USHER_ENCAP_TTL 64 /* outer IPv4 TTL and IPv6 hop limit */

/* Moves the L2 header (Ethernet, then l2_len - 14 bytes of VLAN tags) from data + gap to data,
 * leaving gap bytes free in front of the IP header; returns false if the frame is too short. */
static __always_inline bool usher_move_l2(void *data, void *data_end, __u32 gap, __u32 l2_len)
{
	struct usher_vlan_hdr *tags = data + sizeof(struct usher_ethhdr);
	int i;

	/* A parsed frame holds at least Ethernet + IPv4 + UDP (42 bytes) after the gap. */
	if (data + gap + USHER_L2_MAX_LEN > data_end)
		return false;
	/* Piece by piece, front first: the gap (20 or 40 bytes) exceeds each piece, so no piece
	 * overlaps its own source, and later sources lie beyond every earlier destination. */
	*(struct usher_ethhdr *)data = *(struct usher_ethhdr *)(data + gap);
	/* Bounded by USHER_MAX_VLAN_TAGS, the most the parser accepts. */
#pragma unroll
	for (i = 0; i < USHER_MAX_VLAN_TAGS; i++) {
		if (ETH_HLEN + i * USHER_VLAN_HLEN >= l2_len)
			break;
		tags[i] = *(struct usher_vlan_hdr *)((void *)&tags[i] + gap);
	}
	return true;
}

/* Grows the frame's head by hdr_len and moves the L2 header to the new front; returns where
 * the outer header goes (hdr_len bytes, bounds-checked), or NULL if the headroom cannot grow
 * (the frame may then be half-moved: drop it). */
static __always_inline void *usher_open_gap(struct xdp_md *ctx, const struct usher_packet *pkt,
					    __u32 hdr_len)
{
	__u32 l2_len = pkt->l2_len;
	void *data, *data_end, *gap;

	if (bpf_xdp_adjust_head(ctx, -(int)hdr_len))
		return NULL;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (!usher_move_l2(data, data_end, hdr_len, l2_len))
		return NULL;
	/* Checked on its own: l2_len is the parser's (at most USHER_L2_MAX_LEN), but the verifier
	 * only knows it is a byte. */
	gap = data + l2_len;
	if (gap + hdr_len > data_end)
		return NULL;
	return gap;
}

/* Encapsulates an IPv4 packet in IPv4 towards real; returns false if it cannot be done. */
static __always_inline bool usher_encap_ipv4(struct xdp_md *ctx, const struct usher_packet *pkt,
					     const struct usher_real *real,
					     const struct usher_global *g, __u32 hash)
{
	struct iphdr outer __attribute__((aligned(8))) = {
		.version = 4,
		.ihl = sizeof(struct iphdr) / 4,
		.tos = pkt->tos,
		/* No overflow: a linear XDP frame is at most a page. */
		.tot_len = bpf_htons(pkt->ip_len + sizeof(struct iphdr)),
		.frag_off = bpf_htons(USHER_IP_DF),
		.ttl = USHER_ENCAP_TTL,
		.protocol = IPPROTO_IPIP,
		.saddr = g->encap_src4 | (bpf_htonl(hash) & g->encap_src4_hostmask),
	};

	struct iphdr *iph;

	__builtin_memcpy(&outer.daddr, real->addr, sizeof(outer.daddr));
	outer.check = usher_ipv4_csum(&outer);
	iph = usher_open_gap(ctx, pkt, sizeof(*iph));
	if (!iph)
		return false;
	*iph = outer;
	return true;
}

/* Encapsulates an IPv6 packet in IPv6 towards real; returns false if it cannot be done. */
static __always_inline bool usher_encap_ipv6(struct xdp_md *ctx, const struct usher_packet *pkt,
					     const struct usher_real *real,
					     const struct usher_global *g, __u32 hash)
{
	struct ipv6hdr outer __attribute__((aligned(8))) = {
		.payload_len = bpf_htons(pkt->ip_len), /* the whole inner packet */
		.nexthdr = IPPROTO_IPV6,
		.hop_limit = USHER_ENCAP_TTL,
	};
	/* version 6 | traffic class | flow label = hash: the first 32 bits of the header. */
	__be32 first = bpf_htonl((6u << 28) | ((__u32)pkt->tos << 20) | (hash & 0xFFFFF));
	struct ipv6hdr *ip6;

	__builtin_memcpy(&outer, &first, sizeof(first));
	__builtin_memcpy(&outer.saddr, g->encap_src6, sizeof(outer.saddr));
	outer.saddr.in6_u.u6_addr32[3] |= bpf_htonl(hash) & g->encap_src6_hostmask;
	__builtin_memcpy(&outer.daddr, real->addr, sizeof(outer.daddr));
	ip6 = usher_open_gap(ctx, pkt, sizeof(*ip6));
	if (!ip6)
		return false;
	*ip6 = outer;
	return true;
}

/* Encapsulates the packet towards real in the packet's own family; returns false (drop, as
 * USHER_STAT_DROP_ENCAP) if the real is of the other family or the headroom cannot grow. */
static __always_inline bool usher_encap(struct xdp_md *ctx, struct usher_packet *pkt,
					const struct usher_service *svc,
					const struct usher_real *real)
{
	__u32 zero = 0;
	const struct usher_global *g = bpf_map_lookup_elem(&usher_global_v2, &zero);

	if (!g || real->family != pkt->flow.family)
		return false;
	if (pkt->flow.family == USHER_FAMILY_V4)
		return usher_encap_ipv4(ctx, pkt, real, g, usher_packet_hash(pkt, svc->flags));
	return usher_encap_ipv6(ctx, pkt, real, g, usher_packet_hash(pkt, svc->flags));
}

#endif /* USHER_LIB_ENCAP_H */
