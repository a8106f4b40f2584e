// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_decap: the real-server half of dsr-ipip, on tc ingress. A frame carrying IPv4-in-IPv4
 * (protocol 4) or IPv6-in-IPv6 (next header 41) loses its outer IP header, so the client's
 * packet, addressed to the VIP held on the real's loopback, is delivered locally and answered
 * directly. Everything else, outer fragments included (the stack reassembles those), passes
 * untouched. VLAN-tagged frames are not looked into.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/*
 * bpf_skb_adjust_room() flags naming the L3 protocol left after decapsulation (uapi since
 * Linux 6.3; the installed 6.1 headers predate them). They set skb->protocol to match.
 */
#define USHER_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7)
#define USHER_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)

#define USHER_IP_FRAGMENT 0x3FFF /* IPv4 frag_off: MF and the offset */

/* Returns the length of the outer IPv4 header to strip (options included), or 0 if the
 * packet is not a whole IPv4-in-IPv4 packet. */
static __always_inline __u32 usher_outer_ipv4_len(void *l3, void *data_end)
{
	struct iphdr *iph = l3;

	if ((void *)(iph + 1) > data_end)
		return 0;
	if (iph->version != 4 || iph->ihl < 5 || iph->protocol != IPPROTO_IPIP)
		return 0;
	if (iph->frag_off & bpf_htons(USHER_IP_FRAGMENT))
		return 0;
	return iph->ihl * 4;
}

/* Returns the length of the outer IPv6 header to strip, or 0 if the packet is not
 * IPv6-in-IPv6 (next header 41 right after the fixed header). */
static __always_inline __u32 usher_outer_ipv6_len(void *l3, void *data_end)
{
	struct ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > data_end)
		return 0;
	if (ip6->version != 6 || ip6->nexthdr != IPPROTO_IPV6)
		return 0;
	return sizeof(*ip6);
}

SEC("tc")
int usher_decap(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__u64 flags;
	__u32 len;

	if ((void *)(eth + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		len = usher_outer_ipv4_len(eth + 1, data_end);
		flags = USHER_ADJ_ROOM_DECAP_L3_IPV4;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		len = usher_outer_ipv6_len(eth + 1, data_end);
		flags = USHER_ADJ_ROOM_DECAP_L3_IPV6;
	} else {
		return TC_ACT_OK;
	}
	/* The outer header goes from right after the MAC header; a failure leaves the frame as
	 * it was, for the stack to handle or drop. */
	if (len)
		bpf_skb_adjust_room(skb, -(int)len, BPF_ADJ_ROOM_MAC, flags);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
