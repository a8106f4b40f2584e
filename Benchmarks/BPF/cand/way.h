/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * usher_balance's dsr path around its flow table (parse, service, placement, forwarding), made
 * of the product's BPF/lib as the balancer makes it, for a flow-table candidate
 * (usher_cand_sa.c) whose ways are the product's (struct usher_ct_way, conntrack.h's
 * usher_ct_holds and usher_ct_write), so that only the table's layout differs.
 */
#ifndef USHER_CAND_WAY_H
#define USHER_CAND_WAY_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "usher/bench.h"
#include "lib/conntrack.h"
#include "lib/encap.h"
#include "lib/forward.h"
#include "lib/lookup.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/* Parses the packet and fixes its tables' generation as the balancer does. Returns its address
 * filter flags (the destination's) if it is a TCP or UDP packet, with *opens (a bare SYN);
 * else -1, with *verdict the balancer's answer. */
static __always_inline long usher_cand_parse(struct xdp_md *ctx, struct usher_packet *pkt, bool *opens, int *verdict)
{
	enum usher_path path = usher_parse(ctx, pkt);

	pkt->slot = usher_running_slot(&pkt->zero);
	if (path != USHER_PATH_L4) {
		*verdict = usher_verdict(pkt, path == USHER_PATH_PASS ? pkt->pass_reason : USHER_STAT_PASS_UNSUPPORTED);
		return -1;
	}
	*opens = usher_tcp_opens(pkt);
	return usher_addr_flags(pkt->flow.dst, pkt->flow.family);
}

/* The packet's dsr service, as the balancer finds it: the service of its tracked flow (`flow`,
 * NULL: none) for a TCP packet that opens no connection, else through the address filter;
 * counted, and given the flow hash (the set's) when Maglev uses it. NULL when the packet is not
 * for a dsr service of a table that was read (`read`): then *verdict is the balancer's answer. */
static __always_inline const struct usher_service *usher_cand_service(struct usher_packet *pkt, __u32 dst_flags,
								    const struct usher_ct_way *flow, bool opens,
								    __u32 hash, bool read, int *verdict)
{
	const struct usher_service *svc = NULL;
	enum usher_path path = USHER_PATH_L4;

	if (flow && pkt->flow.proto == IPPROTO_TCP && !opens)
		svc = usher_lookup_flow_service(pkt, flow->service_id);
	if (!svc)
		svc = usher_classify(pkt, dst_flags, &path);
	if (!svc) {
		*verdict = usher_verdict(pkt, path == USHER_PATH_PASS ? pkt->pass_reason : USHER_STAT_PASS_UNSUPPORTED);
		return NULL;
	}
	usher_count_service(svc->id, pkt);
	if ((svc->mode != USHER_MODE_DSR_L2 && svc->mode != USHER_MODE_DSR_IPIP) || !read) {
		*verdict = usher_verdict(pkt, USHER_STAT_PASS_UNSUPPORTED);
		return NULL;
	}
	if (!(svc->flags & USHER_SVC_F_SRC_HASH)) { /* Maglev's hash is the set's */
		pkt->hash = hash;
		pkt->has_hash = 1;
	}
	return svc;
}

/* What a candidate's table does for a packet once it is placed. */
enum usher_cand_action {
	USHER_CAND_NOTHING, /* no entry (a bare SYN of an untracked tuple), or the entry stands */
	USHER_CAND_REFRESH, /* the entry stands, seen now (more than a second since it was) */
	USHER_CAND_REWRITE, /* the flow's way now names another real or service */
	USHER_CAND_INSERT,  /* a new way for the flow */
};

/* Places a packet of dsr service svc whose flow is `flow` (NULL: no way holds it) by the
 * balancer's rule (usher_place) and counts the flow event as usher_choose_real does; returns
 * what the table must do, the placement in *pl (pl->real NULL: no real, counted). */
static __always_inline enum usher_cand_action usher_cand_place(struct usher_packet *pkt, const struct usher_service *svc,
							      const struct usher_ct_way *flow, bool opens,
							      __u64 now, struct usher_placement *pl)
{
	usher_place(pkt, svc, flow && flow->service_id == svc->id ? flow->real_id : USHER_NO_REAL, opens, pl);
	if (!pl->real) {
		usher_count_no_real(svc->id);
		return USHER_CAND_NOTHING;
	}
	if (flow && pl->stays) {
		usher_count(pkt, USHER_STAT_CT_HIT);
		return now > flow->last_seen_ns + USHER_CT_REFRESH_NS ? USHER_CAND_REFRESH : USHER_CAND_NOTHING;
	}
	if (flow) {
		if (opens)
			usher_count_new_flow(pkt, svc->id, pl->real_id);
		else
			usher_count(pkt, USHER_STAT_CT_RESCHEDULED);
		return USHER_CAND_REWRITE;
	}
	if (opens) {
		usher_count_new_flow(pkt, svc->id, pl->real_id); /* no entry: the flow's next packet makes it */
		return USHER_CAND_NOTHING;
	}
	if (pkt->flow.proto == IPPROTO_TCP)
		usher_count(pkt, USHER_STAT_CT_CONFIRMED);
	else
		usher_count_new_flow(pkt, svc->id, pl->real_id);
	return USHER_CAND_INSERT;
}

/* Sends the placed packet to its real as the balancer does: rewrite, count, verdict. */
static __always_inline int usher_cand_forward(struct xdp_md *ctx, struct usher_packet *pkt,
					      const struct usher_service *svc, const struct usher_placement *pl)
{
	__u32 reason;

	if (!pl->real)
		return usher_verdict(pkt, USHER_STAT_DROP_NO_REAL);
	if (svc->mode == USHER_MODE_DSR_IPIP && !usher_encap(ctx, pkt, svc, pl->real))
		return usher_verdict(pkt, USHER_STAT_DROP_ENCAP);
	reason = usher_forward(ctx, pl->real);
	usher_count_real(pl->real_id, pkt);
	return usher_verdict(pkt, reason);
}

#endif /* USHER_CAND_WAY_H */
