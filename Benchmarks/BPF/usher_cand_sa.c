// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_cand_sa: a flow-table candidate of issue 10, measured beside the data plane's LRU hash
 * by `Tools/bench xdp-cost` (Docs/BENCHMARKS.md part 1, Docs/ARCHITECTURE.md) and never
 * attached by `usher`. It is usher_balance's dsr path with one piece changed: the flow table is
 * a set-associative array shared by every CPU (usher/bench.h), not an LRU hash. The flow hash
 * picks a set; a lookup compares the set's ways; an insert takes an empty way, else the one
 * seen least recently. Everything else is the product's own code (BPF/lib): parsing, the
 * address filter, the tracked flow first, usher_place, the rewrite, the counters, so that the
 * harness checks it as it checks the balancer (verdicts, frames, counters) and the difference
 * measured is the table's. nat and gateway services, ICMP and NAT replies are passed untouched.
 *
 * What the array gives up against the LRU hash: a full set replaces its oldest way even when
 * the table has room elsewhere; two CPUs writing one way at once leave it torn, which the check
 * word turns into a miss (the flow is placed by Maglev again), not into another flow's real.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "usher/bench.h"
#include "lib/clock.h"
#include "lib/conntrack.h"
#include "lib/encap.h"
#include "lib/forward.h"
#include "lib/hash.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

_Static_assert(sizeof(struct usher_cand_sa_entry) == 64, "one way, one cache line");
_Static_assert(sizeof(struct usher_flow_key) == 40, "the key is five words");
_Static_assert(USHER_CAND_SA_SETS * USHER_CAND_SA_WAYS == USHER_CONNTRACK_DEFAULT_ENTRIES,
	       "as many entries as the data plane's table");

/* The candidate's table. Not pinned: the harness makes it with the program and fills it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_cand_sa_set);
	__uint(max_entries, USHER_CAND_SA_SETS);
} usher_cand_sa SEC(".maps");

/* The check word of a way holding (real_id, service_id) for the flow of hash `hash`: never 0. */
static __always_inline __u32 usher_cand_sa_check(__u32 hash, __u32 real_id, __u32 service_id)
{
	return (hash ^ real_id ^ (service_id * 0x9E3779B1u)) | 1;
}

/* Whether the way holds the flow `key`: its five words and its check word. */
static __always_inline bool usher_cand_sa_holds(const struct usher_cand_sa_entry *e, const struct usher_flow_key *key,
						__u32 hash)
{
	const __u64 *k = (const __u64 *)key;

	if (e->check != usher_cand_sa_check(hash, e->real_id, e->service_id))
		return false;
	return !((e->key[0] ^ k[0]) | (e->key[1] ^ k[1]) | (e->key[2] ^ k[2]) | (e->key[3] ^ k[3]) | (e->key[4] ^ k[4]));
}

/* The way of `set` holding the flow, or NULL. */
static __always_inline struct usher_cand_sa_entry *usher_cand_sa_find(struct usher_cand_sa_set *set,
								       const struct usher_flow_key *key, __u32 hash)
{
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_SA_WAYS; i++) {
		if (usher_cand_sa_holds(&set->way[i], key, hash))
			return &set->way[i];
	}
	return NULL;
}

/* The way of `set` a new flow takes: the first empty one, else the one seen least recently. */
static __always_inline struct usher_cand_sa_entry *usher_cand_sa_victim(struct usher_cand_sa_set *set)
{
	struct usher_cand_sa_entry *victim = &set->way[0];
	int i;

#pragma unroll
	for (i = 0; i < USHER_CAND_SA_WAYS; i++) {
		if (set->way[i].check == 0)
			return &set->way[i];
		if (set->way[i].last_seen_ns < victim->last_seen_ns)
			victim = &set->way[i];
	}
	return victim;
}

/* Writes the flow's way: the key (if new), its real and service, seen now, then the check. */
static __always_inline void usher_cand_sa_write(struct usher_cand_sa_entry *e, const struct usher_flow_key *key,
						bool new_key, __u32 hash, __u32 real_id, __u32 service_id, __u64 now)
{
	if (new_key)
		__builtin_memcpy(e->key, key, sizeof(e->key));
	e->real_id = real_id;
	e->service_id = service_id;
	e->last_seen_ns = now;
	e->check = usher_cand_sa_check(hash, real_id, service_id);
}

SEC("xdp")
int usher_cand_sa_balance(struct xdp_md *ctx)
{
	struct usher_packet pkt = {};
	const struct usher_service *svc = NULL;
	struct usher_cand_sa_entry *flow = NULL;
	struct usher_cand_sa_set *set = NULL;
	struct usher_placement pl;
	__u32 reason, dst_flags, hash = 0, index;
	enum usher_path path;
	bool opens;
	__u64 now;

	path = usher_parse(ctx, &pkt);
	pkt.slot = usher_running_slot(&pkt.zero);
	if (path != USHER_PATH_L4)
		return usher_verdict(&pkt, path == USHER_PATH_PASS ? pkt.pass_reason : USHER_STAT_PASS_UNSUPPORTED);

	/* The tracked flow first for a TCP packet to a dsr VIP that opens no connection, as the
	 * balancer does; its set is read once either way. */
	opens = usher_tcp_opens(&pkt);
	dst_flags = usher_addr_flags(pkt.flow.dst, pkt.flow.family);
	if (dst_flags & USHER_ADDR_F_DSR) {
		hash = usher_flow_hash(&pkt.flow);
		index = hash & (USHER_CAND_SA_SETS - 1);
		set = bpf_map_lookup_elem(&usher_cand_sa, &index);
		if (set)
			flow = usher_cand_sa_find(set, &pkt.flow, hash);
		if (flow && pkt.flow.proto == IPPROTO_TCP && !opens)
			svc = usher_lookup_flow_service(&pkt, flow->service_id);
	}
	if (!svc)
		svc = usher_classify(&pkt, dst_flags, &path);
	if (!svc)
		return usher_verdict(&pkt, path == USHER_PATH_PASS ? pkt.pass_reason : USHER_STAT_PASS_UNSUPPORTED);
	usher_count_service(svc->id, &pkt);
	if ((svc->mode != USHER_MODE_DSR_L2 && svc->mode != USHER_MODE_DSR_IPIP) || !set)
		return usher_verdict(&pkt, USHER_STAT_PASS_UNSUPPORTED);
	if (!(svc->flags & USHER_SVC_F_SRC_HASH)) { /* Maglev's hash is the set's */
		pkt.hash = hash;
		pkt.has_hash = 1;
	}

	/* Place it (the balancer's rule) and keep the table by what was decided. */
	usher_place(&pkt, svc, flow && flow->service_id == svc->id ? flow->real_id : USHER_NO_REAL, opens, &pl);
	if (!pl.real) {
		usher_count_no_real(svc->id);
		return usher_verdict(&pkt, USHER_STAT_DROP_NO_REAL);
	}
	now = usher_now_ns();
	if (flow && pl.stays) {
		if (now > flow->last_seen_ns + USHER_CT_REFRESH_NS)
			flow->last_seen_ns = now;
		usher_count(&pkt, USHER_STAT_CT_HIT);
	} else if (flow) {
		usher_cand_sa_write(flow, &pkt.flow, false, hash, pl.real_id, svc->id, now);
		if (opens)
			usher_count_new_flow(&pkt, svc->id, pl.real_id);
		else
			usher_count(&pkt, USHER_STAT_CT_RESCHEDULED);
	} else if (opens) {
		usher_count_new_flow(&pkt, svc->id, pl.real_id); /* no entry: the flow's next packet makes it */
	} else {
		usher_cand_sa_write(usher_cand_sa_victim(set), &pkt.flow, true, hash, pl.real_id, svc->id, now);
		if (pkt.flow.proto == IPPROTO_TCP)
			usher_count(&pkt, USHER_STAT_CT_CONFIRMED);
		else
			usher_count_new_flow(&pkt, svc->id, pl.real_id);
	}

	/* Rewrite, count and give the verdict, as the balancer does. */
	if (svc->mode == USHER_MODE_DSR_IPIP && !usher_encap(ctx, &pkt, svc, pl.real))
		return usher_verdict(&pkt, USHER_STAT_DROP_ENCAP);
	reason = usher_forward(ctx, pl.real);
	usher_count_real(pl.real_id, &pkt);
	return usher_verdict(&pkt, reason);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
