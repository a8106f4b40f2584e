/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * SNAT port reservation for new nat and gateway flows. A flow owns its reply tuple (the
 * usher_natrev_v2 key: real address and port, SNAT address and port) from the moment its entry
 * is inserted with BPF_NOEXIST; no other table records which ports are taken.
 *
 * nat: each CPU only ever tries its own share of every pool address's ports (abi.h,
 * struct usher_snat_pool), so two CPUs never race for one tuple. A new flow probes up to
 * USHER_NAT_PROBES candidates, linearly from its 5-tuple hash. gateway: the "SNAT" address and
 * port are the client's own: one candidate.
 *
 * A taken tuple is reclaimed when its owner is stale: its forward entry is gone (LRU eviction)
 * or no longer points at the tuple (rescheduled), or both directions have been idle longer
 * than the protocol's timeout (TCP: the short one once RST or FIN both ways was seen).
 */
#ifndef USHER_LIB_SNAT_H
#define USHER_LIB_SNAT_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/hash.h"
#include "lib/maps.h"
#include "lib/parsing.h"

#define USHER_NS_PER_S 1000000000ull

/* One reservation in progress, in usher_snat_scratch: each probe works on it. */
struct usher_snat_probe {
	struct usher_flow_key key;          /* the reply tuple tried: dst and dport set per candidate */
	struct usher_nat_reply entry;       /* what the flow's reply entry will hold */
	__u64 now;
	__u64 idle_ns;   /* a flow idle this long is stale */
	__u64 closed_ns; /* ... once closed (TCP: RST, or FIN both ways) */
	__u32 hash;      /* the flow's 5-tuple hash: the first candidate */
	__u32 per_cpu;   /* ports of one address this CPU owns */
	__u32 total;     /* candidates: addresses * per_cpu */
	__u32 nr_cpus;
	__u32 cpu;
	__u8 claimed;
	__u8 reclaimed;  /* the tuple was taken over from a stale flow */
	__u8 pad[6];
};

/* Scratch space of a reservation, one per CPU: too big for the BPF stack beside the rest of
 * the program (512 bytes for the whole call chain). Not pinned: each loaded program has its own. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_snat_probe);
	__uint(max_entries, 1);
} usher_snat_scratch SEC(".maps");

/* What bpf_loop() hands each probe: its context must be on the stack, and pointers kept in a
 * map value would be plain numbers to the verifier. */
struct usher_snat_loop {
	struct usher_snat_probe *p;
	const struct usher_snat_pool *pool; /* nat: the service's pool; NULL: gateway */
};

/* Whether two flow keys are the same (all 40 bytes: padding is always zero). */
static __always_inline bool usher_flow_key_eq(const struct usher_flow_key *a,
					      const struct usher_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

	/* Bounded: ten words. */
#pragma unroll
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* Whether a forward entry still translates to the reply tuple `key` (held by `reply`). */
static __always_inline bool usher_nat_points_at(const struct usher_nat_flow *flow,
						const struct usher_flow_key *key,
						const struct usher_nat_reply *reply)
{
	const __u32 *a = (const __u32 *)flow->snat_addr, *b = (const __u32 *)key->dst;

	return flow->snat_port == key->dport && flow->real_port == key->sport &&
	       flow->real_id == reply->real_id &&
	       !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]));
}

/* Tries to make the tuple p->key the new flow's: free, already its own, or held by a stale
 * flow (whose forward entry is then deleted); returns true if the flow's entry is now there. */
static __always_inline bool usher_snat_claim(struct usher_snat_probe *p)
{
	struct usher_nat_reply *held;
	struct usher_nat_flow *owner;
	__u64 last, timeout;
	__u8 state;

	if (!bpf_map_update_elem(&usher_natrev_v2, &p->key, &p->entry, BPF_NOEXIST))
		return true;
	held = bpf_map_lookup_elem(&usher_natrev_v2, &p->key);
	if (!held) /* freed since (evicted, or flushed) */
		return !bpf_map_update_elem(&usher_natrev_v2, &p->key, &p->entry, BPF_NOEXIST);
	if (!usher_flow_key_eq(&held->client, &p->entry.client)) {
		owner = bpf_map_lookup_elem(&usher_nat_v2, &held->client);
		if (owner && usher_nat_points_at(owner, &p->key, held)) {
			last = held->last_seen_ns > owner->last_seen_ns ? held->last_seen_ns :
									  owner->last_seen_ns;
			state = held->state | owner->state;
			timeout = (state & USHER_NAT_S_RST) ||
						  (held->state & owner->state & USHER_NAT_S_FIN) ?
					  p->closed_ns : p->idle_ns;
			if (last >= p->now || p->now - last <= timeout)
				return false; /* in use */
			bpf_map_delete_elem(&usher_nat_v2, &held->client);
		}
		p->reclaimed = 1;
	}
	return !bpf_map_update_elem(&usher_natrev_v2, &p->key, &p->entry, BPF_ANY);
}

/* bpf_loop() callback: tries candidate i; returns 1 (stop) once one is claimed. */
static long usher_snat_try(__u64 i, void *arg)
{
	struct usher_snat_loop *loop = arg;
	struct usher_snat_probe *p = loop->p;
	const struct usher_snat_pool *pool = loop->pool;
	__u64 candidate, addr, k;

	if (!p)
		return 1;

	if (pool) {
		if (p->total == 0 || p->per_cpu == 0)
			return 1;
		candidate = ((__u64)p->hash + i) % p->total;
		addr = candidate / p->per_cpu;
		k = candidate % p->per_cpu;
		/* Make clang compare all 64 bits: the verifier loses a 32-bit division's bounds. */
		asm volatile("" : "+r"(addr));
		if (addr >= USHER_SNAT_MAX_ADDRS)
			return 1;
		__builtin_memcpy(p->key.dst, pool->addrs[addr], sizeof(p->key.dst));
		p->key.dport = bpf_htons((__u16)(pool->port_min + k * p->nr_cpus + p->cpu));
	}
	if (usher_snat_claim(p)) {
		p->claimed = 1;
		return 1;
	}
	return 0;
}

/* Reserves a reply tuple for the packet's new flow towards real_addr:real_port (p: the zeroed
 * scratch, with the key's source, proto and family, p->entry and p->now set by the caller). svc->mode gateway: the client's
 * own address and port; nat: the service's pool, this CPU's share. Returns true with the
 * tuple in p->key and p->reclaimed set if it was taken over; false if none is free. */
static __always_inline bool usher_snat_reserve(struct usher_snat_probe *p, struct usher_packet *pkt,
					       const struct usher_service *svc,
					       const struct usher_global *g)
{
	__u32 pool_id = svc->snat_pool, range, probes = 1;
	const struct usher_snat_pool *pool;
	struct usher_snat_loop loop = { .p = p, .pool = NULL };

	if (pkt->flow.proto == IPPROTO_TCP) {
		p->idle_ns = g->nat_tcp_idle_s * USHER_NS_PER_S;
		p->closed_ns = g->nat_tcp_closed_s * USHER_NS_PER_S;
	} else {
		p->idle_ns = g->nat_udp_idle_s * USHER_NS_PER_S;
		p->closed_ns = p->idle_ns;
	}
	if (svc->mode == USHER_MODE_GATEWAY) {
		__builtin_memcpy(p->key.dst, pkt->flow.src, sizeof(p->key.dst));
		p->key.dport = pkt->flow.sport;
	} else {
		pool = bpf_map_lookup_elem(&usher_snat_v1, &pool_id);
		if (!pool || pool->family != pkt->flow.family || pool->port_max < pool->port_min)
			return false;
		loop.pool = pool;
		p->nr_cpus = g->nr_cpus ? g->nr_cpus : 1;
		p->cpu = bpf_get_smp_processor_id() % p->nr_cpus;
		range = (__u32)pool->port_max - pool->port_min + 1;
		p->per_cpu = range / p->nr_cpus;
		p->total = (pool->count < USHER_SNAT_MAX_ADDRS ? pool->count : USHER_SNAT_MAX_ADDRS) *
			   p->per_cpu;
		if (p->total == 0)
			return false;
		/* The 5-tuple hash whatever the service hashes on: a source-hash service's flows
		 * from one client must not all start at the same port. */
		p->hash = usher_flow_hash(&pkt->flow);
		probes = p->total < USHER_NAT_PROBES ? p->total : USHER_NAT_PROBES;
	}
	bpf_loop(probes, usher_snat_try, &loop, 0);
	return p->claimed;
}

#endif /* USHER_LIB_SNAT_H */
