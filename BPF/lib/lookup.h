/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Lookups from raw map access up: the virtual service a packet is addressed to, a real server
 * by id (and as a member of a service), and the real Maglev gives a hash in a service's table.
 */
#ifndef USHER_LIB_LOOKUP_H
#define USHER_LIB_LOOKUP_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/maps.h"

/* Returns the service the flow is addressed to: its exact port first, then the VIP's
 * every-port service of that protocol; NULL if neither exists. */
static __always_inline const struct usher_service *
usher_lookup_service(const struct usher_flow_key *flow)
{
	struct usher_vip_key key __attribute__((aligned(8))) = {};
	const struct usher_service *svc;

	__builtin_memcpy(key.addr, flow->dst, sizeof(key.addr));
	key.port = flow->dport;
	key.proto = flow->proto;
	key.family = flow->family;
	svc = bpf_map_lookup_elem(&usher_vips_v1, &key);
	if (svc)
		return svc;
	key.port = 0;
	return bpf_map_lookup_elem(&usher_vips_v1, &key);
}

/* Returns the real server with this id if the slot holds one (USHER_REAL_F_PRESENT), else
 * NULL. Draining reals (weight 0) are present: only Maglev leaves them out. */
static __always_inline const struct usher_real *usher_lookup_real(__u32 real_id)
{
	const struct usher_real *real = bpf_map_lookup_elem(&usher_reals_v2, &real_id);

	if (!real || !(real->flags & USHER_REAL_F_PRESENT))
		return NULL;
	return real;
}

/* Returns the real server with this id if it is present and is the service's own entry
 * (usher_real.service_id), else NULL. Real ids name (service, real) memberships: once a real is
 * removed from a service, its id may be given to another service's entry, which must not
 * take over the first service's tracked flows. */
static __always_inline const struct usher_real *usher_lookup_member(__u32 real_id, __u32 service_id)
{
	const struct usher_real *real = usher_lookup_real(real_id);

	if (!real || real->service_id != service_id)
		return NULL;
	return real;
}

/* Returns the real id in slot 1 + hash % M of the service's Maglev table, or USHER_NO_REAL if
 * the service has no table, M is 0, or the slot is empty. */
static __always_inline __u32 usher_maglev_pick(__u32 service_id, __u32 hash)
{
	__u32 slot = USHER_MAGLEV_SIZE_SLOT;
	__u32 *size, *real_id, m;
	void *table;

	table = bpf_map_lookup_elem(&usher_maglev_v1, &service_id);
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
