/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Lookups from raw map access up: what the address filter says of an address, the virtual
 * service a packet is addressed to, a real server by id (and as a member of a service), and
 * the real Maglev gives a hash in a service's table.
 */
#ifndef USHER_LIB_LOOKUP_H
#define USHER_LIB_LOOKUP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/hash.h"
#include "lib/maps.h"
#include "lib/parsing.h"

/* Returns the slot of the running generation (USHER_GEN_SLOT of usher_gen_v1): the slot of
 * usher_vips_v2, usher_reals_v3 and usher_maglev_v2 that this packet reads, read once per packet
 * so that it sees one whole generation; 0 before the first apply. `zero` points at a 0 key. */
static __always_inline __u8 usher_running_slot(const __u32 *zero)
{
	const struct usher_generation *gen = bpf_map_lookup_elem(&usher_gen_v1, zero);

	return gen ? USHER_GEN_SLOT(gen->number) : 0;
}

/* Whether two addresses (16-byte fields, IPv4 zero-padded) are equal. */
static __always_inline bool usher_addr_eq(const __u8 *a, const __u8 *b)
{
	__u32 x[4], y[4];

	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]));
}

/* Returns the USHER_ADDR_F_* of the address filter's slot for addr (0: no VIP, SNAT address
 * or gateway real there); one array read. */
static __always_inline __u32 usher_addr_flags(const __u8 *addr, __u8 family)
{
	__u32 slot = USHER_ADDR_SLOT(usher_fold_addr(addr, family));
	__u32 *flags = bpf_map_lookup_elem(&usher_addrs_v1, &slot);

	return flags ? *flags : 0;
}

/* Returns the service the flow is addressed to in the generation `slot`, asking only what the
 * destination's filter flags (dst_flags) say may exist: its exact port (USHER_ADDR_F_VIP_PORT),
 * then the VIP's every-port service of that protocol (USHER_ADDR_F_VIP_ALL); NULL if neither
 * exists. */
static __always_inline const struct usher_service *
usher_lookup_service(const struct usher_flow_key *flow, __u32 dst_flags, __u8 slot)
{
	struct usher_vip_key key __attribute__((aligned(8))) = {};
	const struct usher_service *svc;

	__builtin_memcpy(key.addr, flow->dst, sizeof(key.addr));
	key.port = flow->dport;
	key.proto = flow->proto;
	key.family = flow->family;
	key.slot = slot;
	if (dst_flags & USHER_ADDR_F_VIP_PORT) {
		svc = bpf_map_lookup_elem(&usher_vips_v2, &key);
		if (svc)
			return svc;
	}
	if (!(dst_flags & USHER_ADDR_F_VIP_ALL))
		return NULL;
	key.port = 0;
	return bpf_map_lookup_elem(&usher_vips_v2, &key);
}

/* Returns the dsr service `service_id` of the generation pkt->slot if it is exactly the one
 * usher_lookup_service would find for this packet, else NULL: its key is the packet's
 * destination, protocol and port (an every-port service is not taken: an exact-port service
 * of the VIP may have been added since the flow began). The tracked flow's service without the
 * VIP's hash lookup: one array read and a compare. */
static __always_inline const struct usher_service *
usher_lookup_flow_service(const struct usher_packet *pkt, __u32 service_id)
{
	const struct usher_service_entry *entry;
	__u32 index;

	if (service_id >= USHER_MAX_SERVICES)
		return NULL;
	index = USHER_SERVICE_INDEX(pkt->slot, service_id);
	entry = bpf_map_lookup_elem(&usher_svcs_v1, &index);
	if (!entry || entry->key.port != pkt->flow.dport || entry->key.proto != pkt->flow.proto ||
	    entry->key.family != pkt->flow.family || !usher_addr_eq(entry->key.addr, pkt->flow.dst))
		return NULL;
	if (entry->svc.mode != USHER_MODE_DSR_L2 && entry->svc.mode != USHER_MODE_DSR_IPIP)
		return NULL;
	return &entry->svc;
}

/* Classifies a parsed packet by what the address filter says of its destination (dst_flags,
 * usher_addr_flags); returns its service in the packet's generation (pkt->slot), or NULL with
 * *path USHER_PATH_NAT_REPLY (look it up in usher_natrev_v2) or USHER_PATH_PASS
 * (pkt->pass_reason USHER_STAT_PASS_NOT_VIP). */
static __always_inline const struct usher_service *usher_classify(struct usher_packet *pkt, __u32 dst_flags,
								   enum usher_path *path)
{
	const struct usher_flow_key *flow = &pkt->flow;
	const struct usher_service *svc = NULL;

	if (dst_flags & (USHER_ADDR_F_VIP_PORT | USHER_ADDR_F_VIP_ALL))
		svc = usher_lookup_service(flow, dst_flags, pkt->slot);
	if (svc)
		return svc;
	if ((dst_flags & USHER_ADDR_F_SNAT) ||
	    (usher_addr_flags(flow->src, flow->family) & USHER_ADDR_F_GW_REAL))
		*path = USHER_PATH_NAT_REPLY;
	else
		*path = usher_pass(pkt, USHER_STAT_PASS_NOT_VIP);
	return NULL;
}

/* Returns the real server with this id in the generation `slot` if it holds one
 * (USHER_REAL_F_PRESENT), else NULL (also for USHER_NO_REAL and any id out of range). Draining
 * reals (weight 0) are present: only Maglev leaves them out. */
static __always_inline const struct usher_real *usher_lookup_real(__u8 slot, __u32 real_id)
{
	const struct usher_real *real;
	__u32 index;

	if (real_id >= USHER_MAX_REALS)
		return NULL;
	index = USHER_REAL_INDEX(slot, real_id);
	real = bpf_map_lookup_elem(&usher_reals_v3, &index);

	if (!real || !(real->flags & USHER_REAL_F_PRESENT))
		return NULL;
	return real;
}

/* Returns the real server with this id if it is present and is the service's own entry
 * (usher_real.service_id), else NULL. Real ids name (service, real) memberships: once a real is
 * removed from a service, its id may be given to another service's entry, which must not
 * take over the first service's tracked flows. */
static __always_inline const struct usher_real *usher_lookup_member(__u8 slot, __u32 real_id,
								      __u32 service_id)
{
	const struct usher_real *real = usher_lookup_real(slot, real_id);

	if (!real || real->service_id != service_id)
		return NULL;
	return real;
}

/* Returns the real id in slot 1 + hash % M of the service's Maglev table in the generation
 * `gen_slot`, or USHER_NO_REAL if the service has no table, M is 0, or the slot is empty. */
static __always_inline __u32 usher_maglev_pick(__u8 gen_slot, __u32 service_id, __u32 hash)
{
	__u32 slot = USHER_MAGLEV_SIZE_SLOT;
	__u32 *size, *real_id, m, index;
	void *table;

	if (service_id >= USHER_MAX_SERVICES)
		return USHER_NO_REAL;
	index = USHER_MAGLEV_INDEX(gen_slot, service_id);
	table = bpf_map_lookup_elem(&usher_maglev_v2, &index);
	if (!table)
		return USHER_NO_REAL;
	size = bpf_map_lookup_elem(table, &slot);
	if (!size)
		return USHER_NO_REAL;
	m = *size;
	if (m == 0)
		return USHER_NO_REAL;
	slot = 1 + hash % m;
	real_id = bpf_map_lookup_elem(table, &slot);
	return real_id ? *real_id : USHER_NO_REAL;
}

#endif /* USHER_LIB_LOOKUP_H */
