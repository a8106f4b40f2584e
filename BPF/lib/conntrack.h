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

/* Returns the real server for the packet's flow (usher_place), whose entry in usher_ct_v2 the
 * caller looked up (`flow`, NULL: untracked), and its id in *real_id; NULL if
 * the service has no real to pick (the tracked entry is left as it was). Maglev's pick is
 * tracked unless the packet is a bare SYN of an untracked tuple. Counts the flow event:
 * USHER_STAT_CT_HIT for the tracked real (also a SYN that Maglev gives the tracked real: the
 * entry stands), _CT_NEW for a new flow (a SYN, which makes no entry; a UDP or other first
 * packet, which makes it) or a SYN that Maglev gives another real (the entry updated: a new flow
 * of that real), _CT_CONFIRMED for a TCP packet that is no bare SYN on an untracked tuple (the
 * entry made; its SYN was the new flow), _CT_RESCHEDULED for a tracked flow whose real left the
 * service. */
static __always_inline const struct usher_real *
usher_choose_real(struct usher_packet *pkt, const struct usher_service *svc, struct usher_flow *flow,
		  __u32 *real_id)
{
	__u64 now = usher_now_ns(); /* coarse CLOCK_MONOTONIC: clock.h */
	bool opens = usher_tcp_opens(pkt);
	struct usher_placement pl;
	__u32 id;

	/* A flow of another service (the VIP's services changed) is rescheduled like a removed
	 * real's: its real may not serve this one. So is a flow whose real id now names another
	 * service's entry (the real was removed from this service and the id given anew). */
	usher_place(pkt, svc, flow && flow->service_id == svc->id ? flow->real_id : USHER_NO_REAL,
		    opens, &pl);
	if (!pl.real)
		return NULL;
	id = pl.real_id;
	if (flow && pl.stays) {
		if (now > flow->last_seen_ns + USHER_CT_REFRESH_NS)
			flow->last_seen_ns = now;
		usher_count(pkt, USHER_STAT_CT_HIT);
	} else if (flow) {
		flow->real_id = id;
		flow->service_id = svc->id;
		flow->last_seen_ns = now;
		if (opens)
			usher_count_new_flow(pkt, svc->id, id);
		else
			usher_count(pkt, USHER_STAT_CT_RESCHEDULED);
	} else if (opens) {
		usher_count_new_flow(pkt, svc->id, id); /* no entry: the flow's next packet makes it */
	} else {
		struct usher_flow entry = { .real_id = id, .service_id = svc->id, .last_seen_ns = now };

		bpf_map_update_elem(&usher_ct_v2, &pkt->flow, &entry, BPF_ANY);
		if (pkt->flow.proto == IPPROTO_TCP)
			usher_count(pkt, USHER_STAT_CT_CONFIRMED);
		else
			usher_count_new_flow(pkt, svc->id, id);
	}
	*real_id = id;
	return pl.real;
}

#endif /* USHER_LIB_CONNTRACK_H */
