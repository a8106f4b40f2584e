// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A program that passes every frame. A veth only receives frames that its peer sent with
 * XDP_TX or XDP_REDIRECT when it has an XDP program of its own; labs attach this one there.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int usher_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
