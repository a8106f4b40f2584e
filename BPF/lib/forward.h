/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Forwarding: address the frame to the real server's next hop and choose the way out. VLAN
 * tags stay as they are; IP headers are not touched here.
 */
#ifndef USHER_LIB_FORWARD_H
#define USHER_LIB_FORWARD_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/parsing.h"

/* Rewrites the Ethernet addresses for real; returns USHER_STAT_TX when the frame leaves by
 * the interface it came in on, USHER_STAT_REDIRECT after bpf_redirect() to real->ifindex, or
 * USHER_STAT_DROP_ENCAP if the frame has no Ethernet header (parsing rules that out; the
 * verifier needs the check after encapsulation moved the data). */
static __always_inline __u32 usher_forward(struct xdp_md *ctx, const struct usher_real *real)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct usher_ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return USHER_STAT_DROP_ENCAP;
	if (real->ifindex == 0 || real->ifindex == ctx->ingress_ifindex) {
		/* Back out of the ingress port: from the address the frame was sent to. */
		__builtin_memcpy(eth->src, eth->dst, ETH_ALEN);
		__builtin_memcpy(eth->dst, real->dst_mac, ETH_ALEN);
		return USHER_STAT_TX;
	}
	__builtin_memcpy(eth->src, real->src_mac, ETH_ALEN);
	__builtin_memcpy(eth->dst, real->dst_mac, ETH_ALEN);
	bpf_redirect(real->ifindex, 0);
	return USHER_STAT_REDIRECT;
}

#endif /* USHER_LIB_FORWARD_H */
