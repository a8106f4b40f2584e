/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Connection tracking: a flow stays on the real server it was first given for as long as that
 * real is configured in the flow's service, even when it drains or Maglev tables change; only
 * a real removed from the service (even if other services still list it) makes the service's
 * flows be scheduled again. A TCP SYN (without ACK) is a new connection even on a tracked tuple:
 * Maglev places it, as Katran does, so a drained or removed real gets no new connection from a
 * client that reuses a source port (entries of DSR flows never expire while the table has room).
 *
 * A bare SYN never makes an entry (SYN-flood protection): Maglev places it, and the flow's first
 * other packet (the handshake's ACK) makes the entry, on the same real unless the tables changed
 * in between. Spoofed SYNs from any number of sources therefore evict no established flow.
 *
 * The table (usher/abi.h, usher_ct_set): the flow hash picks a set of 16 ways and gives the flow
 * a 16-bit tag; a set's tags and ages fill one cache line, and a way is read only when its tag
 * is the flow's, its key and check word then compared. A new flow takes an empty way of its
 * set, else the one seen least recently (by the tag line's ages, no way read). What this gives
 * up against an LRU hash: a set can be full while the table has room (sized at twice the flows
 * it holds, a set overflows for 0.08% of flows at half load: a Poisson count per set), and two
 * CPUs inserting into one set at once may take the same way (the later flow keeps it; the
 * other's next packet is placed by Maglev again, on the same real unless the tables changed).
 * A way two CPUs wrote at once fails its check word and reads as empty, never as another flow.
 *
 * The rule "the tracked real, or Maglev's pick" has one home, usher_place: the dsr table here
 * and the nat/gateway tables (nat.h) keep their own entries by what it decides.
 */
#ifndef USHER_LIB_CONNTRACK_H
#define USHER_LIB_CONNTRACK_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/clock.h"
#include "lib/hash.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/parsing.h"
#include "lib/stats.h"

#define USHER_CT_REFRESH_NS 1000000000ull /* last_seen_ns is written at most once a second */

/* Where a packet of a service goes: the rule of "tracked flow or Maglev", for dsr and nat. */
struct usher_placement {
	const struct usher_real *real;    /* the real it goes to; NULL: Maglev has none to give */
	const struct usher_real *tracked; /* the flow's tracked real while it is the service's member */
	__u32 real_id;                    /* real's id (Maglev's pick: USHER_NO_REAL if none) */
	bool stays;                       /* on the tracked real: the flow's entry stands */
};

/* Places a packet of service svc whose flow is tracked to the real `tracked_id` (USHER_NO_REAL:
 * no entry, or the entry of another service): on the tracked real while it is the service's
 * member and the packet opens no connection, or opens one that Maglev gives that real too
 * (pl->stays); else on Maglev's pick (with pl->tracked set: a new connection that Maglev moves
 * away from a real still in the service; NULL: an untracked flow, or one whose real left the
 * service). Counts nothing and writes no entry: the caller's table and counters follow from
 * the placement. */
static __always_inline void usher_place(struct usher_packet *pkt, const struct usher_service *svc,
					__u32 tracked_id, bool opens, struct usher_placement *pl)
{
	pl->tracked = usher_lookup_member(pkt->slot, tracked_id, svc->id); /* NULL for NO_REAL */
	pl->stays = pl->tracked && !opens;
	if (pl->stays) {
		pl->real = pl->tracked;
		pl->real_id = tracked_id;
		return;
	}
	pl->real_id = usher_maglev_pick(pkt->slot, svc->id, usher_packet_hash(pkt, svc->flags));
	pl->stays = pl->tracked && pl->real_id == tracked_id;
	pl->real = pl->stays ? pl->tracked : usher_lookup_real(pkt->slot, pl->real_id);
}

/* A packet's place in the flow table (usher_ct_find): its flow hash, which gives the set (its
 * low bits) and the tag (its high half), the set's line, and the way holding the flow. Kept
 * small: it lives on usher_balance_l4's stack, which the NAT path's calls add to. */
struct usher_ct_ref {
	struct usher_ct_set *set; /* NULL: the table could not be read (never, for an array) */
	struct usher_ct_way *way; /* the way holding the flow, NULL: none */
	__u32 hash;               /* usher_flow_hash of the packet's flow */
	__u32 way_no;             /* the way's number in its set */
};

/* The set of a flow hash. */
static __always_inline __u32 usher_ct_set_of(__u32 hash)
{
	return hash & (USHER_CT_SETS - 1);
}

/* The tag of a flow hash: its high half, never 0 (an empty way). */
static __always_inline __u16 usher_ct_tag(__u32 hash)
{
	__u16 tag = hash >> 16;

	return tag ? tag : 1;
}

/* The check word of a way holding (real_id, service_id) for the flow of hash `hash`: never 0. */
static __always_inline __u32 usher_ct_check(__u32 hash, __u32 real_id, __u32 service_id)
{
	return (hash ^ real_id ^ (service_id * 0x9E3779B1u)) | 1;
}

/* The tick of `now` (ns), wrapping: the ages of a set's tag line. */
static __always_inline __u16 usher_ct_tick(__u64 now)
{
	return (__u16)(now >> USHER_CT_TICK_SHIFT);
}

/* Whether the way holds the flow `key`: its five words and its check word. */
static __always_inline bool usher_ct_holds(const struct usher_ct_way *w, const struct usher_flow_key *key, __u32 hash)
{
	const __u64 *k = (const __u64 *)key;

	if (w->check != usher_ct_check(hash, w->real_id, w->service_id))
		return false;
	return !((w->key[0] ^ k[0]) | (w->key[1] ^ k[1]) | (w->key[2] ^ k[2]) | (w->key[3] ^ k[3]) | (w->key[4] ^ k[4]));
}

/* Writes a way for the flow: the key (if new), its real and service, seen now, then the check. */
static __always_inline void usher_ct_write(struct usher_ct_way *w, const struct usher_flow_key *key, bool new_key,
					   __u32 hash, __u32 real_id, __u32 service_id, __u64 now)
{
	const __u64 *k = (const __u64 *)key; /* 8-aligned: the key sits at the start of usher_packet */

	if (new_key) { /* five words: a memcpy of a 2-aligned struct would move twenty halfwords */
		w->key[0] = k[0];
		w->key[1] = k[1];
		w->key[2] = k[2];
		w->key[3] = k[3];
		w->key[4] = k[4];
	}
	w->real_id = real_id;
	w->service_id = service_id;
	w->last_seen_ns = now;
	w->check = usher_ct_check(hash, real_id, service_id);
}

/* Finds the packet's flow: fills *ref (the hash, the set's line, the way) and returns the way
 * that holds the flow, or NULL. Reads only the ways whose tag is the flow's. */
static __always_inline struct usher_ct_way *usher_ct_find(const struct usher_packet *pkt, struct usher_ct_ref *ref)
{
	struct usher_ct_way *w;
	__u32 set, index;
	__u16 tag;
	int i;

	ref->hash = usher_flow_hash(&pkt->flow);
	set = usher_ct_set_of(ref->hash);
	tag = usher_ct_tag(ref->hash);
	ref->way = NULL;
	ref->set = bpf_map_lookup_elem(&usher_ctset_v3, &set);
	if (!ref->set)
		return NULL;
#pragma unroll
	for (i = 0; i < USHER_CT_WAYS; i++) {
		if (ref->set->tag[i] != tag)
			continue;
		index = set * USHER_CT_WAYS + i;
		w = bpf_map_lookup_elem(&usher_ct_v3, &index);
		if (w && usher_ct_holds(w, &pkt->flow, ref->hash)) {
			ref->way = w;
			ref->way_no = i;
			return w;
		}
	}
	return NULL;
}

/* The way of `set` a new flow takes: the first empty one, else the one seen least recently. */
static __always_inline __u32 usher_ct_victim(const struct usher_ct_set *set, __u16 tick)
{
	__u32 victim = 0;
	__u16 oldest = 0, age;
	int i;

#pragma unroll
	for (i = 0; i < USHER_CT_WAYS; i++) {
		if (set->tag[i] == 0)
			return i;
		age = tick - set->seen[i];
		if (age > oldest) {
			oldest = age;
			victim = i;
		}
	}
	return victim;
}

/* Writes the flow into a way of its set (usher_ct_victim's), its tag and age last. */
static __always_inline void usher_ct_insert(struct usher_packet *pkt, struct usher_ct_ref *ref, __u32 real_id,
					    __u32 service_id, __u64 now)
{
	struct usher_ct_way *w;
	__u16 tick = usher_ct_tick(now);
	__u32 way, index;

	if (!ref->set)
		return;
	way = usher_ct_victim(ref->set, tick) & (USHER_CT_WAYS - 1);
	index = usher_ct_set_of(ref->hash) * USHER_CT_WAYS + way;
	w = bpf_map_lookup_elem(&usher_ct_v3, &index);
	if (!w)
		return;
	usher_ct_write(w, &pkt->flow, true, ref->hash, real_id, service_id, now);
	ref->set->tag[way] = usher_ct_tag(ref->hash);
	ref->set->seen[way] = tick;
}

/* Returns the real server for the packet's flow (usher_place), whose way in usher_ct_v3 the
 * caller looked up (usher_ct_find: ref->way, NULL: untracked), and its id in *real_id; NULL if
 * the service has no real to pick (the tracked way is left as it was). Maglev's pick is
 * tracked unless the packet is a bare SYN of an untracked tuple. Counts the flow event:
 * USHER_STAT_CT_HIT for the tracked real (also a SYN that Maglev gives the tracked real: the
 * entry stands), _CT_NEW for a new flow (a SYN, which makes no entry; a UDP or other first
 * packet, which makes it) or a SYN that Maglev gives another real (the way rewritten: a new flow
 * of that real), _CT_CONFIRMED for a TCP packet that is no bare SYN on an untracked tuple (the
 * entry made; its SYN was the new flow), _CT_RESCHEDULED for a tracked flow whose real left the
 * service. */
static __always_inline const struct usher_real *
usher_choose_real(struct usher_packet *pkt, const struct usher_service *svc, struct usher_ct_ref *ref,
		  __u32 *real_id)
{
	struct usher_ct_way *flow = ref->way;
	__u64 now = usher_now_ns(); /* coarse CLOCK_MONOTONIC: clock.h */
	bool opens = usher_tcp_opens(pkt);
	struct usher_placement pl;
	__u32 id;

	/* Maglev's hash is the set's unless the service hashes the source alone. */
	if (!(svc->flags & USHER_SVC_F_SRC_HASH) && !pkt->has_hash) {
		pkt->hash = ref->hash;
		pkt->has_hash = 1;
	}
	/* A flow of another service (the VIP's services changed) is rescheduled like a removed
	 * real's: its real may not serve this one. So is a flow whose real id now names another
	 * service's entry (the real was removed from this service and the id given anew). */
	usher_place(pkt, svc, flow && flow->service_id == svc->id ? flow->real_id : USHER_NO_REAL,
		    opens, &pl);
	if (!pl.real)
		return NULL;
	id = pl.real_id;
	if (flow && pl.stays) {
		if (now > flow->last_seen_ns + USHER_CT_REFRESH_NS) {
			flow->last_seen_ns = now;
			if (ref->set)
				ref->set->seen[ref->way_no & (USHER_CT_WAYS - 1)] = usher_ct_tick(now);
		}
		usher_count(pkt, USHER_STAT_CT_HIT);
	} else if (flow) {
		usher_ct_write(flow, &pkt->flow, false, ref->hash, id, svc->id, now);
		if (ref->set)
			ref->set->seen[ref->way_no & (USHER_CT_WAYS - 1)] = usher_ct_tick(now);
		if (opens)
			usher_count_new_flow(pkt, svc->id, id);
		else
			usher_count(pkt, USHER_STAT_CT_RESCHEDULED);
	} else if (opens) {
		usher_count_new_flow(pkt, svc->id, id); /* no entry: the flow's next packet makes it */
	} else {
		usher_ct_insert(pkt, ref, id, svc->id, now);
		if (pkt->flow.proto == IPPROTO_TCP)
			usher_count(pkt, USHER_STAT_CT_CONFIRMED);
		else
			usher_count_new_flow(pkt, svc->id, id);
	}
	*real_id = id;
	return pl.real;
}

#endif /* USHER_LIB_CONNTRACK_H */
