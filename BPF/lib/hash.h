/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The flow hash. Swift (Maglev tables, `usher debug`) and the Python fixtures compute it too,
 * bit for bit, so it is exactly the contract's definition: Linux's jhash_3words over the
 * folded addresses and the ports, all read as native (little-endian) loads of network bytes.
 */
#ifndef USHER_LIB_HASH_H
#define USHER_LIB_HASH_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/parsing.h"

#define USHER_JHASH_INITVAL 0xdeadbeefu /* Linux include/linux/jhash.h JHASH_INITVAL */

/* Rotates a 32-bit word left by shift (1..31). */
static __always_inline __u32 usher_rol32(__u32 word, unsigned int shift)
{
	return (word << shift) | (word >> (32 - shift));
}

/* Linux's jhash_3words: returns the hash of three words under initval. */
static __always_inline __u32 usher_jhash_3words(__u32 a, __u32 b, __u32 c, __u32 initval)
{
	__u32 start = USHER_JHASH_INITVAL + (3 << 2) + initval;

	a += start;
	b += start;
	c += start;
	/* __jhash_final(a, b, c) */
	c ^= b; c -= usher_rol32(b, 14);
	a ^= c; a -= usher_rol32(c, 11);
	b ^= a; b -= usher_rol32(a, 25);
	c ^= b; c -= usher_rol32(b, 16);
	a ^= c; a -= usher_rol32(c, 4);
	b ^= a; b -= usher_rol32(a, 14);
	c ^= b; c -= usher_rol32(b, 24);
	return c;
}

/* Returns an address folded to one word: IPv4's native load, or XOR of IPv6's four. */
static __always_inline __u32 usher_fold_addr(const __u8 *addr, __u8 family)
{
	__u32 w[4];

	__builtin_memcpy(w, addr, sizeof(w)); /* aligned: the key sits in struct usher_packet */
	if (family == USHER_FAMILY_V4)
		return w[0];
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

/* Returns the 5-tuple flow hash of a flow key (a service without USHER_SVC_F_SRC_HASH). */
static __always_inline __u32 usher_flow_hash(const struct usher_flow_key *f)
{
	return usher_jhash_3words(usher_fold_addr(f->src, f->family),
				  usher_fold_addr(f->dst, f->family) ^ f->proto,
				  ((__u32)f->sport << 16) | f->dport, USHER_HASH_SEED);
}

/* Returns the packet's flow hash for a service with the given USHER_SVC_F_* flags, computed on
 * first use only (conntrack hits of dsr-l2 services never need it). */
static __always_inline __u32 usher_packet_hash(struct usher_packet *pkt, __u8 svc_flags)
{
	const struct usher_flow_key *f = &pkt->flow;
	__u32 src;

	if (pkt->has_hash)
		return pkt->hash;
	src = usher_fold_addr(f->src, f->family);
	if (svc_flags & USHER_SVC_F_SRC_HASH)
		pkt->hash = usher_jhash_3words(src, 0, 0, USHER_HASH_SEED);
	else
		pkt->hash = usher_flow_hash(f);
	pkt->has_hash = 1;
	return pkt->hash;
}

#endif /* USHER_LIB_HASH_H */
