/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Internet checksums (RFC 1071), and their incremental update when fields change (RFC 1624,
 * eqn. 3: HC' = ~(~HC + ~m + m')). The one's-complement sum does not depend on byte order, so
 * words are summed as loaded and the result is stored as is. A change is gathered as a delta
 * (the sum of ~m + m' over the changed words) in 64 bits, so 32-bit words can be added whole
 * (each is two 16-bit words, and the sum does not depend on how words are grouped); one delta
 * may serve several checksums (the addresses are in the IPv4 header and the L4 pseudo-header).
 */
#ifndef USHER_LIB_CSUM_H
#define USHER_LIB_CSUM_H

#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"

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

/* Returns delta plus the change of a 32-bit word (two 16-bit words) from `from` to `to`. */
static __always_inline __u64 usher_csum_delta32(__u64 delta, __u32 from, __u32 to)
{
	return delta + (__u32)~from + to;
}

/* Returns delta plus the change of a 16-bit word from `from` to `to`. */
static __always_inline __u64 usher_csum_delta16(__u64 delta, __u16 from, __u16 to)
{
	return delta + (__u16)~from + to;
}

/* Returns delta plus the change of an address (4 bytes for IPv4, else 16) from `from` to `to`. */
static __always_inline __u64 usher_csum_delta_addr(__u64 delta, const __u8 *from, const __u8 *to,
						   __u8 family)
{
	__u32 a[4], b[4];

	if (family == USHER_FAMILY_V4) {
		__builtin_memcpy(a, from, 4);
		__builtin_memcpy(b, to, 4);
		return usher_csum_delta32(delta, a[0], b[0]);
	}
	__builtin_memcpy(a, from, 16);
	__builtin_memcpy(b, to, 16);
	delta = usher_csum_delta32(delta, a[0], b[0]);
	delta = usher_csum_delta32(delta, a[1], b[1]);
	delta = usher_csum_delta32(delta, a[2], b[2]);
	return usher_csum_delta32(delta, a[3], b[3]);
}

/* Returns the checksum field `check` updated by delta (RFC 1624, eqn. 3). */
static __always_inline __u16 usher_csum_update(__u16 check, __u64 delta)
{
	__u64 sum = (__u16)~check + delta;

	sum = (sum & 0xFFFFFFFF) + (sum >> 32);
	sum = (sum & 0xFFFFFFFF) + (sum >> 32);
	return usher_csum_fold((__u32)sum);
}

/* Returns a UDP checksum field updated by delta: an IPv4 checksum of 0 (none was computed)
 * stays 0, and a computed 0 is sent as 0xFFFF (RFC 768; IPv6 requires a checksum). */
static __always_inline __u16 usher_csum_update_udp(__u16 check, __u64 delta, __u8 family)
{
	__u16 updated;

	if (check == 0 && family == USHER_FAMILY_V4)
		return 0;
	updated = usher_csum_update(check, delta);
	return updated ? updated : 0xFFFF;
}

#endif /* USHER_LIB_CSUM_H */
