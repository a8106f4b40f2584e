// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * usher_balance: Usher's L4 data plane. A TCP or UDP packet addressed to a virtual service is
 * sent to one of its real servers (Maglev, with connection tracking): by rewriting the
 * destination MAC (dsr-l2) or encapsulating it in IP (dsr-ipip), the reals then answering
 * clients directly; or by translating its addresses (nat: destination and source; gateway:
 * destination), the replies then coming back through here to be translated back, and ICMP
 * errors about those flows with them. Everything else goes to the host untouched, counted
 * under the reason why. Layouts and counters: usher/abi.h. Each step below lives in lib/, in a
 * header named for it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"
#include "lib/conntrack.h"
#include "lib/encap.h"
#include "lib/forward.h"
#include "lib/icmp.h"
#include "lib/lookup.h"
#include "lib/maps.h"
#include "lib/nat.h"
#include "lib/parsing.h"
#include "lib/stats.h"

/* A TCP or UDP packet, parsed, its generation's slot fixed: to its service's real, or to the
 * host. A function of its own (not inlined): its frame, with the flow table's place for the
 * packet, and the ICMP path's are never on the stack at once, which the verifier's 512 bytes
 * for a chain of calls would not hold. */
static __attribute__((noinline)) int usher_balance_l4(struct xdp_md *ctx, struct usher_packet *pkt, __u32 dst_flags)
{
	const struct usher_service *svc = NULL;
	const struct usher_real *real;
	struct usher_ct_ref ct = {};
	__u32 reason, real_id = USHER_NO_REAL;
	enum usher_path path = USHER_PATH_L4;
	bool looked = false;

	/* Classify. A TCP packet to a dsr VIP that opens no connection is first looked up as a
	 * tracked flow: the service its way names, if the packet's VIP still has it, spares the
	 * VIP's hash lookup (most packets are of established flows). Not UDP, whose flows are
	 * often one packet: a miss looked up first costs more than the VIP's lookup saves
	 * (Docs/ARCHITECTURE.md, "Established flows first"). Else through the address filter
	 * (dst_flags, the destination's): a virtual service or a NAT flow's reply? */
	if ((dst_flags & USHER_ADDR_F_DSR) && pkt->flow.proto == IPPROTO_TCP && !usher_tcp_opens(pkt)) {
		looked = true;
		if (usher_ct_find(pkt, &ct))
			svc = usher_lookup_flow_service(pkt, ct.way->service_id);
	}
	if (!svc)
		svc = usher_classify(pkt, dst_flags, &path);
	if (!svc) {
		if (path == USHER_PATH_NAT_REPLY)
			return usher_verdict(pkt, usher_nat_reply(ctx, pkt));
		return usher_verdict(pkt, pkt->pass_reason);
	}
	usher_count_service(svc->id, pkt);
	if (svc->mode == USHER_MODE_L7)
		return usher_verdict(pkt, USHER_STAT_PASS_L7);
	if (svc->mode == USHER_MODE_NAT || svc->mode == USHER_MODE_GATEWAY)
		return usher_verdict(pkt, usher_nat_forward(ctx, pkt, svc)); /* look up to count: nat.h */
	if (svc->mode != USHER_MODE_DSR_L2 && svc->mode != USHER_MODE_DSR_IPIP)
		return usher_verdict(pkt, USHER_STAT_PASS_UNSUPPORTED);

	/* Look up (unless done above) and choose: the flow's tracked real, else Maglev's pick. */
	if (!looked)
		usher_ct_find(pkt, &ct);
	real = usher_choose_real(pkt, svc, &ct, &real_id);
	if (!real) {
		usher_count_no_real(svc->id);
		return usher_verdict(pkt, USHER_STAT_DROP_NO_REAL);
	}

	/* Rewrite: encapsulate if the mode asks, then address the frame to the real's next hop. */
	if (svc->mode == USHER_MODE_DSR_IPIP && !usher_encap(ctx, pkt, svc, real))
		return usher_verdict(pkt, USHER_STAT_DROP_ENCAP);
	reason = usher_forward(ctx, real);

	/* Count and give the verdict. */
	usher_count_real(real_id, pkt);
	return usher_verdict(pkt, reason);
}

SEC("xdp")
int usher_balance(struct xdp_md *ctx)
{
	struct usher_packet pkt = {};
	enum usher_path path;
	__u32 dst_flags;

	/* Parse: a whole TCP or UDP packet over IPv4 or IPv6, or an ICMP message. Then fix the
	 * generation of the tables this packet reads: all of its lookups use that one slot. */
	path = usher_parse(ctx, &pkt);
	pkt.slot = usher_running_slot(&pkt.zero);
	if (path == USHER_PATH_ICMP)
		return usher_verdict(&pkt, usher_nat_icmp(ctx, &pkt)); /* an error about a NAT flow? */
	if (path != USHER_PATH_L4)
		return usher_verdict(&pkt, pkt.pass_reason);

	/* A packet to no VIP or SNAT address, from no gateway real (most of a host's traffic) is
	 * the host's: passed here, without the L4 path's call (usher_classify's rule). */
	dst_flags = usher_addr_flags(pkt.flow.dst, pkt.flow.family);
	if (!dst_flags && !(usher_addr_flags(pkt.flow.src, pkt.flow.family) & USHER_ADDR_F_GW_REAL)) {
		usher_pass(&pkt, USHER_STAT_PASS_NOT_VIP);
		return usher_verdict(&pkt, pkt.pass_reason);
	}
	return usher_balance_l4(ctx, &pkt, dst_flags);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
