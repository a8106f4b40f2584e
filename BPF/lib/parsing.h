/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Parsing: from the raw frame to a struct usher_packet. Each header is bounds-checked against
 * data_end before it is read, and each length field against the bytes that really follow.
 * Anything but a whole, unfragmented TCP or UDP packet over IPv4 or IPv6 behind at most two
 * VLAN tags goes to the host untouched, under the USHER_STAT_PASS_* reason in pkt->pass_reason.
 */
#ifndef USHER_LIB_PARSING_H
#define USHER_LIB_PARSING_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"

/* Where parsing (and then classifying, lookup.h) sends a frame. A number space of its own: a
 * frame handed to the host carries its USHER_STAT_PASS_* counter in usher_packet.pass_reason. */
enum usher_path {
	USHER_PATH_L4,        /* a whole TCP or UDP packet: classify it */
	USHER_PATH_ICMP,      /* an ICMP or ICMPv6 message with its 8-byte header, maybe an error
			       * about a NAT flow (icmp.h); the flow key has no ports */
	USHER_PATH_NAT_REPLY, /* to a SNAT address or from a gateway real: maybe a NAT flow's reply */
	USHER_PATH_PASS,      /* to the host untouched, counted under pkt->pass_reason */
};
/* The most a parsed L4 header lies from the frame's start: beyond any linear XDP frame (a page),
 * so it never refuses a real packet, and it tells the verifier the offset is bounded. */
#define USHER_L4_MAX_OFF 4096

#define USHER_MAX_VLAN_TAGS 2 /* an 802.1ad S-tag and an 802.1Q C-tag (QinQ) */
#define USHER_VLAN_HLEN 4
#define USHER_L2_MAX_LEN (ETH_HLEN + USHER_MAX_VLAN_TAGS * USHER_VLAN_HLEN)
#define USHER_MAX_IPV6_EXT 4 /* extension headers skipped before a packet is unsupported */

/* IPv4 frag_off bits (host order; <linux/ip.h> keeps them kernel-internal). */
#define USHER_IP_DF 0x4000
#define USHER_IP_MF 0x2000
#define USHER_IP_OFFSET 0x1FFF

/* An Ethernet header. Unlike <linux/if_ether.h>'s packed struct ethhdr it is 2-byte aligned,
 * so it is read and written in 16-bit words rather than bytes. */
struct usher_ethhdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

/* One VLAN tag as it follows the MAC addresses: tag control information, next ethertype. */
struct usher_vlan_hdr {
	__be16 tci;
	__be16 next_proto;
};

/* What the parser learned about a frame: its flow, and what rewriting it needs to know. */
struct usher_packet {
	struct usher_flow_key flow; /* the client's tuple as received: conntrack key, hash input */
	__u32 frame_len;            /* bytes of the frame as received, for the counters */
	__u32 ip_len;               /* whole IP packet: IPv4 tot_len, IPv6 40 + payload_len */
	__u32 hash;                 /* flow hash, once has_hash is set (see hash.h) */
	__u8 has_hash;
	__u8 l2_len; /* Ethernet header and VLAN tags: 14, 18 or 22 bytes */
	__u8 tos;    /* IPv4 TOS or IPv6 traffic class, copied to an outer header */
	__u8 tcp_flags; /* TCP: byte 13 of the header (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) */
	__u16 l4_off;   /* where the L4 header starts, from the frame's start */
	__u8 slot;      /* the running generation's slot (lookup.h), read once for the packet */
	__u8 pass_reason; /* USHER_PATH_PASS: the USHER_STAT_PASS_* reason to count it under */
	__u32 zero;     /* always 0: key 0 of usher_gen_v1, here rather than in a stack slot of its
			 * own (usher_balance's frame plus the ICMP path's is at the verifier's 512 B) */
} __attribute__((aligned(8)));

/* TCP flags (byte 13 of the header, usher_packet.tcp_flags). */
#define USHER_TCP_FIN 0x01
#define USHER_TCP_SYN 0x02
#define USHER_TCP_RST 0x04
#define USHER_TCP_ACK 0x10

/* Whether the packet opens a TCP connection: SYN without ACK. On a tuple that is already
 * tracked it is a new connection reusing the tuple (a client behind a NAT, a reused source
 * port): conntrack.h and nat.h let Maglev place it instead of following the tracked flow. */
static __always_inline bool usher_tcp_opens(const struct usher_packet *pkt)
{
	return pkt->flow.proto == IPPROTO_TCP &&
	       (pkt->tcp_flags & (USHER_TCP_SYN | USHER_TCP_ACK)) == USHER_TCP_SYN;
}

/* The parser's position in the frame: the next header, and the end of the data. */
struct usher_cursor {
	void *pos;
	void *end;
};

/* Hands the frame to the host for `reason` (a USHER_STAT_PASS_*); returns USHER_PATH_PASS. */
static __always_inline enum usher_path usher_pass(struct usher_packet *pkt, __u8 reason)
{
	pkt->pass_reason = reason;
	return USHER_PATH_PASS;
}

/* Whether an ethertype (network order) announces a VLAN tag. */
static __always_inline bool usher_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Parses Ethernet and up to USHER_MAX_VLAN_TAGS tags; returns USHER_PATH_L4 with *proto the
 * payload's ethertype (network order) and the cursor on the payload, else USHER_PATH_PASS (usher_pass). */
static __always_inline enum usher_path usher_parse_eth(struct usher_cursor *c, struct usher_packet *pkt,
					     __be16 *proto)
{
	struct usher_ethhdr *eth = c->pos;
	int i;

	if ((void *)(eth + 1) > c->end)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	*proto = eth->proto;
	c->pos = eth + 1;
	pkt->l2_len = ETH_HLEN;

	/* Bounded by USHER_MAX_VLAN_TAGS: QinQ is the deepest stacking we forward. */
#pragma unroll
	for (i = 0; i < USHER_MAX_VLAN_TAGS; i++) {
		struct usher_vlan_hdr *vlan = c->pos;

		if (!usher_is_vlan(*proto))
			break;
		if ((void *)(vlan + 1) > c->end)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		*proto = vlan->next_proto;
		c->pos = vlan + 1;
		pkt->l2_len += USHER_VLAN_HLEN;
	}
	if (usher_is_vlan(*proto))
		return usher_pass(pkt, USHER_STAT_PASS_UNSUPPORTED);
	return USHER_PATH_L4;
}

/* Parses an IPv4 header (options skipped); returns USHER_PATH_L4 with the cursor on the L4
 * header and *l4_len the bytes the IP header says follow it, else USHER_PATH_PASS. */
static __always_inline enum usher_path usher_parse_ipv4(struct usher_cursor *c, struct usher_packet *pkt,
					      __u32 *l4_len)
{
	struct iphdr *iph = c->pos;
	__u32 hdr_len, tot_len;

	if ((void *)(iph + 1) > c->end)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	if (iph->version != 4 || iph->ihl < 5)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	hdr_len = iph->ihl * 4;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < hdr_len || (void *)iph + tot_len > c->end)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	if (iph->frag_off & bpf_htons(USHER_IP_MF | USHER_IP_OFFSET))
		return usher_pass(pkt, USHER_STAT_PASS_FRAGMENT);

	pkt->flow.family = USHER_FAMILY_V4;
	pkt->flow.proto = iph->protocol;
	__builtin_memcpy(pkt->flow.src, &iph->saddr, sizeof(iph->saddr));
	__builtin_memcpy(pkt->flow.dst, &iph->daddr, sizeof(iph->daddr));
	pkt->ip_len = tot_len;
	pkt->tos = iph->tos;
	c->pos = (void *)iph + hdr_len;
	*l4_len = tot_len - hdr_len;
	return USHER_PATH_L4;
}

/* Skips up to USHER_MAX_IPV6_EXT hop-by-hop, routing and destination-options headers; returns
 * USHER_PATH_L4 with the cursor, *next and *len on the upper-layer header, else USHER_PATH_PASS. */
static __always_inline enum usher_path usher_skip_ipv6_ext(struct usher_cursor *c, struct usher_packet *pkt,
							 __u8 *next, __u32 *len)
{
	int i;

	/* Bounded by USHER_MAX_IPV6_EXT: real traffic carries one or two of these, if any. */
#pragma unroll
	for (i = 0; i < USHER_MAX_IPV6_EXT; i++) {
		struct ipv6_opt_hdr *ext = c->pos;
		__u32 ext_len;

		if (*next == IPPROTO_FRAGMENT)
			return usher_pass(pkt, USHER_STAT_PASS_FRAGMENT);
		if (*next != IPPROTO_HOPOPTS && *next != IPPROTO_ROUTING && *next != IPPROTO_DSTOPTS)
			return USHER_PATH_L4;
		if ((void *)(ext + 1) > c->end)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		ext_len = (ext->hdrlen + 1) * 8;
		if (ext_len > *len)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		*next = ext->nexthdr;
		*len -= ext_len;
		c->pos += ext_len;
	}
	if (*next == IPPROTO_FRAGMENT)
		return usher_pass(pkt, USHER_STAT_PASS_FRAGMENT);
	if (*next == IPPROTO_HOPOPTS || *next == IPPROTO_ROUTING || *next == IPPROTO_DSTOPTS)
		return usher_pass(pkt, USHER_STAT_PASS_UNSUPPORTED);
	return USHER_PATH_L4;
}

/* Parses an IPv6 header and its extension headers; returns USHER_PATH_L4 with the cursor on
 * the L4 header and *l4_len the payload bytes left for it, else USHER_PATH_PASS. */
static __always_inline enum usher_path usher_parse_ipv6(struct usher_cursor *c, struct usher_packet *pkt,
					      __u32 *l4_len)
{
	struct ipv6hdr *ip6 = c->pos;
	enum usher_path path;
	__u32 payload_len;
	__u8 next;

	if ((void *)(ip6 + 1) > c->end)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	if (ip6->version != 6)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
	payload_len = bpf_ntohs(ip6->payload_len);
	if ((void *)(ip6 + 1) + payload_len > c->end)
		return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);

	c->pos = ip6 + 1;
	next = ip6->nexthdr;
	path = usher_skip_ipv6_ext(c, pkt, &next, &payload_len);
	if (path != USHER_PATH_L4)
		return path;

	pkt->flow.family = USHER_FAMILY_V6;
	pkt->flow.proto = next;
	__builtin_memcpy(pkt->flow.src, &ip6->saddr, sizeof(ip6->saddr));
	__builtin_memcpy(pkt->flow.dst, &ip6->daddr, sizeof(ip6->daddr));
	pkt->ip_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	pkt->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	*l4_len = payload_len;
	return USHER_PATH_L4;
}

/* Reads the ports of the TCP or UDP header at the cursor, which has l4_len bytes by the IP
 * header; returns USHER_PATH_L4, USHER_PATH_ICMP for ICMP of the packet's family, or
 * USHER_PATH_PASS (other protocols, or truncated). */
static __always_inline enum usher_path usher_parse_l4(struct usher_cursor *c, struct usher_packet *pkt,
					    __u32 l4_len)
{
	if (pkt->flow.proto == IPPROTO_TCP) {
		struct tcphdr *th = c->pos;

		if ((void *)(th + 1) > c->end)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		if (th->doff < 5 || th->doff * 4 > l4_len)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		pkt->flow.sport = th->source;
		pkt->flow.dport = th->dest;
		pkt->tcp_flags = ((__u8 *)th)[13];
		return USHER_PATH_L4;
	}
	if (pkt->flow.proto == IPPROTO_UDP) {
		struct udphdr *uh = c->pos;
		__u32 udp_len;

		if ((void *)(uh + 1) > c->end)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		udp_len = bpf_ntohs(uh->len);
		if (udp_len < sizeof(*uh) || udp_len > l4_len)
			return usher_pass(pkt, USHER_STAT_PASS_MALFORMED);
		pkt->flow.sport = uh->source;
		pkt->flow.dport = uh->dest;
		return USHER_PATH_L4;
	}
	if ((pkt->flow.proto == IPPROTO_ICMP && pkt->flow.family == USHER_FAMILY_V4) ||
	    (pkt->flow.proto == IPPROTO_ICMPV6 && pkt->flow.family == USHER_FAMILY_V6)) {
		/* Type, code, checksum and 4 more bytes: every error message has them. */
		if (c->pos + 8 > c->end || l4_len < 8)
			return usher_pass(pkt, USHER_STAT_PASS_NOT_L4);
		return USHER_PATH_ICMP;
	}
	return usher_pass(pkt, USHER_STAT_PASS_NOT_L4);
}

/* Parses the frame into *pkt (zeroed by the caller); returns USHER_PATH_L4 for a TCP or UDP
 * packet the balancer may take, USHER_PATH_ICMP for an ICMP message (icmp.h decides), else
 * USHER_PATH_PASS with the reason to pass it untouched in pkt->pass_reason. */
static __always_inline enum usher_path usher_parse(struct xdp_md *ctx, struct usher_packet *pkt)
{
	struct usher_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	enum usher_path path;
	__u32 l4_len = 0;
	__be16 proto;

	pkt->frame_len = c.end - c.pos;
	path = usher_parse_eth(&c, pkt, &proto);
	if (path != USHER_PATH_L4)
		return path;
	if (proto == bpf_htons(ETH_P_IP))
		path = usher_parse_ipv4(&c, pkt, &l4_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		path = usher_parse_ipv6(&c, pkt, &l4_len);
	else
		return usher_pass(pkt, USHER_STAT_PASS_NOT_IP);
	if (path != USHER_PATH_L4)
		return path;
	pkt->l4_off = c.pos - (void *)(long)ctx->data;
	return usher_parse_l4(&c, pkt, l4_len);
}

#endif /* USHER_LIB_PARSING_H */
