/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Internet checksums (RFC 1071). The one's-complement sum does not depend on byte order, so
 * words are summed as loaded and the result is stored as is.
 */
#ifndef USHER_LIB_CSUM_H
#define USHER_LIB_CSUM_H

#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

/* Returns the one's complement of a 32-bit sum of 16-bit words folded to 16 bits. */
static __always_inline __u16 usher_csum_fold(__u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (__u16)~sum;
}

/* Returns the header checksum of an option-less IPv4 header whose check field is zero. */
static __always_inline __u16 usher_ipv4_csum(const struct iphdr *iph)
{
	const __u16 *words = (const __u16 *)iph;
	__u32 sum = 0;
	int i;

	/* Bounded: an option-less header is ten 16-bit words. */
#pragma unroll
	for (i = 0; i < (int)(sizeof(*iph) / 2); i++)
		sum += words[i];
	return usher_csum_fold(sum);
}

#endif /* USHER_LIB_CSUM_H */
