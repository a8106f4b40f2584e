// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_cand_sa: a flow-table candidate of issue 10, measured beside the data plane's table
 * (16 ways behind a line of tags; before it, an LRU hash) by `Tools/bench xdp-cost`
 * (Docs/BENCHMARKS.md part 1, Docs/ARCHITECTURE.md) and never attached by `usher`. It is usher_balance's dsr path with one piece changed: the flow table is
 * a set of 4 ways of one cache line each (usher/bench.h), no line of tags. The flow hash
 * picks a set; a lookup compares the set's ways; an insert takes an empty way, else the one
 * seen least recently. Everything else is the product's own code (BPF/lib): parsing, the
 * address filter, the tracked flow first, usher_place, the rewrite, the counters, so that the
 * harness checks it as it checks the balancer (verdicts, frames, counters) and the difference
 * measured is the table's. nat and gateway services, ICMP and NAT replies are passed untouched.
 *
 * What it gives up against the data plane's 16 ways: a set of 4 overflows long before the
 * table is full (3.8% of flows at half load against 0.08%). Two CPUs writing one way at once
 * leave it torn, which the check word turns into a miss (the flow is placed by Maglev again),
 * not into another flow's real.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "usher/bench.h"
#include "cand/way.h"
#include "lib/clock.h"
#include "lib/conntrack.h"
#include "lib/encap.h"
#include "lib/forward.h"
#include "lib/hash.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

_Static_assert(sizeof(struct usher_cand_sa_entry) == sizeof(struct usher_ct_way) &&
	       __builtin_offsetof(struct usher_cand_sa_entry, real_id) == __builtin_offsetof(struct usher_ct_way, real_id) &&
	       __builtin_offsetof(struct usher_cand_sa_entry, service_id) == __builtin_offsetof(struct usher_ct_way, service_id) &&
	       __builtin_offsetof(struct usher_cand_sa_entry, last_seen_ns) == __builtin_offsetof(struct usher_ct_way, last_seen_ns) &&
	       __builtin_offsetof(struct usher_cand_sa_entry, check) == __builtin_offsetof(struct usher_ct_way, check),
	       "a way is the data plane's");
_Static_assert(USHER_CAND_SA_SETS * USHER_CAND_SA_WAYS == USHER_CONNTRACK_DEFAULT_ENTRIES,
	       "a way per flow the data plane's table is sized for");

/* The candidate's table. Not pinned: the harness makes it with the program and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_cand_sa_set);
	__uint(max_entries, USHER_CAND_SA_SETS);
} usher_cand_sa SEC(".maps");

/* The way of `set` holding the flow, or NULL. */
static __always_inline struct usher_ct_way *usher_cand_sa_find(struct usher_cand_sa_set *set,
								       const struct usher_flow_key *key, __u32 hash)
{
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_SA_WAYS; i++) {
		if (usher_ct_holds((struct usher_ct_way *)&set->way[i], key, hash))
			return (struct usher_ct_way *)&set->way[i];
	}
	return NULL;
}

/* The way of `set` a new flow takes: the first empty one, else the one seen least recently. */
static __always_inline struct usher_ct_way *usher_cand_sa_victim(struct usher_cand_sa_set *set)
{
	struct usher_cand_sa_entry *victim = &set->way[0];
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_SA_WAYS; i++) {
		if (set->way[i].check == 0)
			return (struct usher_ct_way *)&set->way[i];
		if (set->way[i].last_seen_ns < victim->last_seen_ns)
			victim = &set->way[i];
	}
	return (struct usher_ct_way *)victim;
}

SEC("xdp")
int usher_cand_sa_balance(struct xdp_md *ctx)
{
	struct usher_packet pkt = {};
	const struct usher_service *svc;
	struct usher_ct_way *flow = NULL;
	struct usher_cand_sa_set *set = NULL;
	struct usher_placement pl;
	__u32 dst_flags, hash = 0, index;
	long flags;
	bool opens;
	int verdict;
	__u64 now;

	flags = usher_cand_parse(ctx, &pkt, &opens, &verdict);
	if (flags < 0)
		return verdict;
	dst_flags = flags;

	/* The tracked flow first for a TCP packet to a dsr VIP that opens no connection, as the
	 * balancer does; its set is read once either way. */
	if (dst_flags & USHER_ADDR_F_DSR) {
		hash = usher_flow_hash(&pkt.flow);
		index = hash & (USHER_CAND_SA_SETS - 1);
		set = bpf_map_lookup_elem(&usher_cand_sa, &index);
		if (set)
			flow = usher_cand_sa_find(set, &pkt.flow, hash);
	}
	svc = usher_cand_service(&pkt, dst_flags, flow, opens, hash, set != NULL, &verdict);
	if (!svc)
		return verdict;

	/* Place it (the balancer's rule), keep the table by what was decided, and send it. */
	now = usher_now_ns();
	switch (usher_cand_place(&pkt, svc, flow, opens, now, &pl)) {
	case USHER_CAND_REFRESH:
		flow->last_seen_ns = now;
		break;
	case USHER_CAND_REWRITE:
		usher_ct_write(flow, &pkt.flow, false, hash, pl.real_id, svc->id, now);
		break;
	case USHER_CAND_INSERT:
		usher_ct_write(usher_cand_sa_victim(set), &pkt.flow, true, hash, pl.real_id, svc->id, now);
		break;
	case USHER_CAND_NOTHING:
		break;
	}
	return usher_cand_forward(ctx, &pkt, svc, &pl);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
