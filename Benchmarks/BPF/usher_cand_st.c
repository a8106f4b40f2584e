// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_cand_st: the second set-associative flow-table candidate of issue 10, measured beside
 * the data plane's LRU hash and the 4-way candidate (usher_cand_sa.c) by `Tools/bench xdp-cost`
 * and never attached by `usher`. It answers what the 4-way table gives up: a set of 4 overflows
 * long before the table is full. Here a set has 16 ways, and what a lookup reads first is one
 * cache line of the set's tags (16 bits of the flow hash per way, 0 for an empty way) and ages
 * (ticks of about 17 ms); only a way whose tag matches is read (in a second array, the 4-way
 * candidate's 64-byte ways), its key and check word compared. A miss reads one line, whatever
 * the set holds; a hit two. A new flow takes an empty way, else the one seen least recently by
 * the tags' ages, so choosing it reads no way.
 *
 * Everything else is the product's code (BPF/lib) and the 4-way candidate's (cand/way.h).
 * What it still gives up against the LRU hash: a set of 16 overflows as the table fills, later
 * than a set of 4 (a Poisson count per set: 0.08% of flows at half load against 3.8%, 2% at
 * three quarters against 11%); two CPUs inserting into one set at once may take the same way
 * (the later flow keeps it; the other is placed by Maglev again at its next packet); a torn way
 * reads as a miss, as in the 4-way candidate.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "usher/bench.h"
#include "cand/way.h"
#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/lookup.h"
#include "lib/parsing.h"
#include "lib/stats.h"

_Static_assert(sizeof(struct usher_cand_st_tags) == 64, "a set's tags and ages, one cache line");
_Static_assert(USHER_CAND_ST_SETS * USHER_CAND_ST_WAYS == USHER_CONNTRACK_DEFAULT_ENTRIES,
	       "as many entries as the data plane's table");
_Static_assert((USHER_CAND_ST_SETS & (USHER_CAND_ST_SETS - 1)) == 0 && USHER_CAND_ST_SETS <= 65536,
	       "the set is the hash's low half or less, the tag its high half");

/* The candidate's tables. Not pinned: the harness makes them with the program and fills them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_cand_st_tags);
	__uint(max_entries, USHER_CAND_ST_SETS);
} usher_cand_st_tags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_cand_sa_entry);
	__uint(max_entries, USHER_CAND_ST_SETS * USHER_CAND_ST_WAYS);
} usher_cand_st_ways SEC(".maps");

/* The flow's tag: the hash's high half, never 0 (an empty way). */
static __always_inline __u16 usher_cand_st_tag(__u32 hash)
{
	__u16 tag = hash >> 16;

	return tag ? tag : 1;
}

/* The tick of `now` (ns), wrapping: the ages in a set's tag line. */
static __always_inline __u16 usher_cand_st_tick(__u64 now)
{
	return (__u16)(now >> USHER_CAND_ST_TICK_SHIFT);
}

/* The way of set `set` holding the flow, or NULL; its number in *way. Reads only the ways whose
 * tag is the flow's. */
static __always_inline struct usher_cand_sa_entry *usher_cand_st_find(const struct usher_cand_st_tags *tags, __u32 set,
								       __u16 tag, const struct usher_flow_key *key,
								       __u32 hash, __u32 *way)
{
	struct usher_cand_sa_entry *e;
	__u32 index;
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_ST_WAYS; i++) {
		if (tags->tag[i] != tag)
			continue;
		index = set * USHER_CAND_ST_WAYS + i;
		e = bpf_map_lookup_elem(&usher_cand_st_ways, &index);
		if (e && usher_cand_sa_holds(e, key, hash)) {
			*way = i;
			return e;
		}
	}
	return NULL;
}

/* The way a new flow takes: the first empty one, else the one seen least recently. */
static __always_inline __u32 usher_cand_st_victim(const struct usher_cand_st_tags *tags, __u16 tick)
{
	__u32 victim = 0;
	__u16 oldest = 0, age;
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_ST_WAYS; i++) {
		if (tags->tag[i] == 0)
			return i;
		age = tick - tags->seen[i];
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	return victim;
}

SEC("xdp")
int usher_cand_st_balance(struct xdp_md *ctx)
{
	struct usher_packet pkt = {};
	const struct usher_service *svc;
	struct usher_cand_sa_entry *flow = NULL, *fresh;
	struct usher_cand_st_tags *tags = NULL;
	struct usher_placement pl;
	__u32 dst_flags, hash = 0, set = 0, way = 0;
	long flags;
	__u16 tag = 0, tick;
	bool opens;
	int verdict;
	__u64 now;

	flags = usher_cand_parse(ctx, &pkt, &opens, &verdict);
	if (flags < 0)
		return verdict;
	dst_flags = flags;

	/* The tracked flow first for a TCP packet to a dsr VIP that opens no connection, as the
	 * balancer does; the set's tags are read once either way. */
	if (dst_flags & USHER_ADDR_F_DSR) {
		hash = usher_flow_hash(&pkt.flow);
		set = hash & (USHER_CAND_ST_SETS - 1);
		tag = usher_cand_st_tag(hash);
		tags = bpf_map_lookup_elem(&usher_cand_st_tags, &set);
		if (tags)
			flow = usher_cand_st_find(tags, set, tag, &pkt.flow, hash, &way);
	}
	svc = usher_cand_service(&pkt, dst_flags, flow, opens, hash, tags != NULL, &verdict);
	if (!svc)
		return verdict;

	/* Place it (the balancer's rule), keep the table by what was decided, and send it. */
	now = usher_now_ns();
	tick = usher_cand_st_tick(now);
	switch (usher_cand_place(&pkt, svc, flow, opens, now, &pl)) {
	case USHER_CAND_REFRESH:
		flow->last_seen_ns = now;
		tags->seen[way & (USHER_CAND_ST_WAYS - 1)] = tick;
		break;
	case USHER_CAND_REWRITE:
		usher_cand_sa_write(flow, &pkt.flow, false, hash, pl.real_id, svc->id, now);
		tags->seen[way & (USHER_CAND_ST_WAYS - 1)] = tick;
		break;
	case USHER_CAND_INSERT:
		way = usher_cand_st_victim(tags, tick) & (USHER_CAND_ST_WAYS - 1);
		set = set * USHER_CAND_ST_WAYS + way;
		fresh = bpf_map_lookup_elem(&usher_cand_st_ways, &set);
		if (!fresh)
			break;
		usher_cand_sa_write(fresh, &pkt.flow, true, hash, pl.real_id, svc->id, now);
		tags->tag[way] = tag;
		tags->seen[way] = tick;
		break;
	case USHER_CAND_NOTHING:
		break;
	}
	return usher_cand_forward(ctx, &pkt, svc, &pl);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
