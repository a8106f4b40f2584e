/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Egress: address the rewritten frame to its next hop and choose the way out, the one rule
 * for every path that sends a frame on (dsr and nat to a real, nat replies to a client, ICMP
 * errors either way). VLAN tags stay as they are; IP headers are not touched here.
 */
#ifndef USHER_LIB_FORWARD_H
#define USHER_LIB_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/parsing.h"

/* Sends the frame to the next hop dst_mac: back out of the interface it came in on when
 * ifindex is 0 or the ingress interface (USHER_STAT_TX), from back_src, or with back_src NULL
 * from the address the frame was sent to; else by bpf_redirect() to ifindex
 * (USHER_STAT_REDIRECT), from out_src (that interface's address). Returns
 * USHER_STAT_PASS_MALFORMED if the frame has no Ethernet header: parsing rules that out, but
 * the verifier needs the check once encapsulation has moved the data. */
static __always_inline __u32 usher_egress(struct xdp_md *ctx, const __u8 *dst_mac,
					  const __u8 *back_src, const __u8 *out_src, __u32 ifindex)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct usher_ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return USHER_STAT_PASS_MALFORMED;
	if (ifindex == 0 || ifindex == ctx->ingress_ifindex) {
		__builtin_memcpy(eth->src, back_src ? back_src : eth->dst, ETH_ALEN);
		__builtin_memcpy(eth->dst, dst_mac, ETH_ALEN);
		return USHER_STAT_TX;
	}
	__builtin_memcpy(eth->src, out_src, ETH_ALEN);
	__builtin_memcpy(eth->dst, dst_mac, ETH_ALEN);
	bpf_redirect(ifindex, 0);
	return USHER_STAT_REDIRECT;
}

/* Sends the frame to the real server's next hop (usher_egress): out of real->ifindex from
 * real->src_mac, or back out of the ingress port from the address the frame was sent to. */
static __always_inline __u32 usher_forward(struct xdp_md *ctx, const struct usher_real *real)
{
	return usher_egress(ctx, real->dst_mac, NULL, real->src_mac, real->ifindex);
}

#endif /* USHER_LIB_FORWARD_H */
