/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Counters and verdicts. Every packet is counted under exactly one verdict reason
 * (USHER_STAT_* below USHER_STAT_VERDICT_MAX), and that reason alone decides the XDP action. Flow events,
 * services and reals have counters of their own. All maps are per CPU: plain increments.
 */
#ifndef USHER_LIB_STATS_H
#define USHER_LIB_STATS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/maps.h"
#include "lib/parsing.h"

/* Adds the frame to global counter `index` (a verdict reason or a flow event). */
static __always_inline void usher_count(const struct usher_packet *pkt, __u32 index)
{
	struct usher_counter *c = bpf_map_lookup_elem(&usher_stats_v3, &index);

	if (c) {
		c->packets++;
		c->bytes += pkt->frame_len;
	}
}

/* Adds the frame to the counters of the service it was addressed to. */
static __always_inline void usher_count_service(__u32 service_id, const struct usher_packet *pkt)
{
	struct usher_service_stats *s = bpf_map_lookup_elem(&usher_sstats_v2, &service_id);

	if (s) {
		s->packets++;
		s->bytes += pkt->frame_len;
	}
}

/* Counts a packet the service dropped for want of a real server. */
static __always_inline void usher_count_no_real(__u32 service_id)
{
	struct usher_service_stats *s = bpf_map_lookup_elem(&usher_sstats_v2, &service_id);

	if (s)
		s->no_real++;
}

/* Counts a new nat/gateway flow of the service dropped for want of a SNAT port (reply tuple). */
static __always_inline void usher_count_nat_exhausted(__u32 service_id)
{
	struct usher_service_stats *s = bpf_map_lookup_elem(&usher_sstats_v2, &service_id);

	if (s)
		s->nat_exhausted++;
}

/* Adds the frame, a reply of one of the service's nat/gateway flows, to its reply counters. */
static __always_inline void usher_count_reply(__u32 service_id, const struct usher_packet *pkt)
{
	struct usher_service_stats *s = bpf_map_lookup_elem(&usher_sstats_v2, &service_id);

	if (s) {
		s->reply_packets++;
		s->reply_bytes += pkt->frame_len;
	}
}

/* Counts a flow that Maglev has just given to a real server of the service: the event
 * USHER_STAT_CT_NEW and a new flow of the service and of the real. */
static __always_inline void usher_count_new_flow(const struct usher_packet *pkt, __u32 service_id, __u32 real_id)
{
	struct usher_service_stats *s = bpf_map_lookup_elem(&usher_sstats_v2, &service_id);
	struct usher_real_stats *r = bpf_map_lookup_elem(&usher_rstats_v1, &real_id);

	usher_count(pkt, USHER_STAT_CT_NEW);

	if (s)
		s->new_flows++;
	if (r)
		r->new_flows++;
}

/* Adds the frame to the counters of the real server it is sent to. */
static __always_inline void usher_count_real(__u32 real_id, const struct usher_packet *pkt)
{
	struct usher_real_stats *r = bpf_map_lookup_elem(&usher_rstats_v1, &real_id);

	if (r) {
		r->packets++;
		r->bytes += pkt->frame_len;
	}
}

/* Returns the XDP action a verdict reason stands for (abi.h orders them: PASS_* first). */
static __always_inline int usher_action(__u32 reason)
{
	if (reason <= USHER_STAT_PASS_LAST)
		return XDP_PASS;
	if (reason == USHER_STAT_TX)
		return XDP_TX;
	if (reason == USHER_STAT_REDIRECT)
		return XDP_REDIRECT; /* bpf_redirect() has already named the interface */
	return XDP_DROP;
}

/* Counts the packet under its verdict reason; returns the XDP action for that reason. */
static __always_inline int usher_verdict(const struct usher_packet *pkt, __u32 reason)
{
	usher_count(pkt, reason);
	return usher_action(reason);
}

#endif /* USHER_LIB_STATS_H */
