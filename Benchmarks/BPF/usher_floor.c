// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_floor: the least an XDP forwarder can do, the yardstick of the benchmarks
 * (Docs/BENCHMARKS.md). It parses Ethernet, IPv4 or IPv6 and TCP with the bounds checks any
 * program needs, swaps the MAC addresses and sends the frame back with XDP_TX; anything else
 * is passed. No map, no lookup, no counter: every figure of usher_balance is given as a
 * multiple of this one, measured in the same run. Never attached by `usher` itself.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* A 2-byte aligned Ethernet header (the kernel's struct ethhdr is packed). */
struct floor_ethhdr {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__be16 proto;
};

SEC("xdp")
int usher_floor(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct floor_ethhdr *eth = data;
	__u8 tmp[ETH_ALEN];
	struct tcphdr *th;
	__u8 proto;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->ihl < 5)
			return XDP_PASS;
		proto = iph->protocol;
		th = (void *)iph + iph->ihl * 4;
	} else if (eth->proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		proto = ip6->nexthdr;
		th = (void *)(ip6 + 1);
	} else {
		return XDP_PASS;
	}
	if (proto != IPPROTO_TCP || (void *)(th + 1) > data_end)
		return XDP_PASS;

	__builtin_memcpy(tmp, eth->dst, ETH_ALEN);
	__builtin_memcpy(eth->dst, eth->src, ETH_ALEN);
	__builtin_memcpy(eth->src, tmp, ETH_ALEN);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
