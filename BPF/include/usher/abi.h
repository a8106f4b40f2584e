/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The one definition of everything the XDP program and the Swift control plane share:
 * map key/value layouts, constants and counter indices. Swift imports this very file
 * through the CUsherABI module map; there is no second copy.
 *
 * Rules: only <linux/types.h>; fixed-width types; explicit padding; no bitfields or unions;
 * every size is pinned by a _Static_assert below and checked again on the Swift side
 * against the object's BTF. Fields marked "network order" hold big-endian bytes.
 * A layout change bumps the map's _vN suffix so old pins are never misread.
 */
#ifndef USHER_ABI_H
#define USHER_ABI_H

#include <linux/types.h>

#define USHER_ABI_VERSION 1

/* Capacities. Maglev tables are per service and sized by the control plane. */
#define USHER_MAX_SERVICES 4096
#define USHER_MAX_REALS 131072
#define USHER_CONNTRACK_DEFAULT_ENTRIES 1048576
#define USHER_MAGLEV_DEFAULT_SIZE 65537
#define USHER_MAGLEV_MAX_SIZE 1048573 /* largest prime the control plane accepts */

/* Seed of the flow hash (jhash_3words). The same on every balancer, so that balancers behind
 * ECMP pick the same real for a flow. */
#define USHER_HASH_SEED 0x55534852u

/* A Maglev slot (or a flow) that names no real server. */
#define USHER_NO_REAL 0xFFFFFFFFu

/* Address families as stored in keys (not AF_* values, which differ per OS). */
#define USHER_FAMILY_V4 4
#define USHER_FAMILY_V6 6

/* How a virtual service reaches its real servers. */
#define USHER_MODE_DSR_L2 1   /* rewrite destination MAC, XDP_TX/redirect */
#define USHER_MODE_DSR_IPIP 2 /* IPv4-in-IPv4 / IPv6-in-IPv6 encapsulation */
#define USHER_MODE_L7 3       /* pass to the host stack, where the proxy listens */
#define USHER_MODE_NAT 4      /* full NAT (reserved for the NAT work) */
#define USHER_MODE_GATEWAY 5  /* gateway NAT (reserved for the NAT work) */

/* usher_real.flags */
#define USHER_REAL_F_PRESENT 0x01 /* the slot holds a configured real server */

/* usher_service.flags */
#define USHER_SVC_F_SRC_HASH 0x01 /* hash on the client address only (no ports) */

/* Key of usher_vips_v1: one virtual service. */
struct usher_vip_key {
	__u8 addr[16]; /* network order; IPv4 in addr[0..3], the rest zero */
	__u16 port;    /* network order; 0 = every port of this VIP and protocol */
	__u8 proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;   /* USHER_FAMILY_V4 or USHER_FAMILY_V6 */
};

/* Value of usher_vips_v1. Hash-map values are replaced whole, so readers never see a mix. */
struct usher_service {
	__u32 id;    /* index into usher_maglev_v1 and usher_sstats_v1 */
	__u8 mode;   /* USHER_MODE_* */
	__u8 flags;  /* USHER_SVC_F_* */
	__u16 pad;
};

/*
 * Value of usher_reals_v1, indexed by real id. A real id names one (service, real) membership:
 * a real server listed by two services has two entries, so removing it from one service
 * reschedules that service's flows only, and its counters are kept per service.
 */
struct usher_real {
	__u8 addr[16];   /* network order; IPv4 in addr[0..3] */
	__u8 family;     /* USHER_FAMILY_V4 or USHER_FAMILY_V6 */
	__u8 flags;      /* USHER_REAL_F_* */
	__u8 dst_mac[6]; /* next hop: the real itself (dsr-l2) or the router towards it */
	__u8 src_mac[6]; /* egress interface's MAC, used when redirecting to another interface */
	__u16 service_id; /* the service this entry belongs to: one entry per (service, real) */
	__u32 ifindex;   /* egress interface; 0 or the ingress interface means XDP_TX */
};

/* Key of usher_ct_v1: a flow as the client sent it. */
struct usher_flow_key {
	__u8 src[16]; /* network order */
	__u8 dst[16]; /* network order */
	__u16 sport;  /* network order */
	__u16 dport;  /* network order */
	__u8 proto;
	__u8 family;
	__u16 pad;
};

/* Value of usher_ct_v1. */
struct usher_flow {
	__u32 real_id;
	__u32 service_id;
	__u64 last_seen_ns; /* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC), refreshed at most once a second */
};

/*
 * Value of usher_global_v1 (one entry). Outer source addresses of IP-in-IP are the base
 * with its host bits taken from the flow hash, so receive-side scaling spreads flows.
 */
struct usher_global {
	__u32 encap_src4;          /* network order: base address */
	__u32 encap_src4_hostmask; /* network order: bits taken from the hash (0 = fixed) */
	__u8 encap_src6[16];       /* network order: base address */
	__u32 encap_src6_hostmask; /* network order: applied to the last 32 bits */
	__u32 flags;
};

/*
 * Inner maps of usher_maglev_v1 are BPF_F_INNER_MAP arrays of __u32:
 * slot 0 holds the table size M, slots 1..M the real ids. The outer slot is swapped in one
 * update, so a packet sees a whole old table or a whole new one.
 */
#define USHER_MAGLEV_SIZE_SLOT 0

/* Value of usher_stats_v1 (per CPU), indexed by USHER_STAT_*. */
struct usher_counter {
	__u64 packets;
	__u64 bytes;
};

/* Value of usher_sstats_v1 (per CPU), indexed by service id. */
struct usher_service_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 no_real; /* packets dropped because the service had no real to choose */
};

/* Value of usher_rstats_v1 (per CPU), indexed by real id: per (service, real). */
struct usher_real_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 pad;
};

/* Global counters: each packet is counted under exactly one verdict reason. */
#define USHER_STAT_PASS_NOT_IP 0      /* ARP, LLDP, other ethertypes */
#define USHER_STAT_PASS_NOT_VIP 1     /* IP traffic to no virtual service */
#define USHER_STAT_PASS_NOT_L4 2      /* IP, but neither TCP nor UDP (e.g. ICMP) */
#define USHER_STAT_PASS_FRAGMENT 3    /* IP fragments: ports cannot be read */
#define USHER_STAT_PASS_MALFORMED 4   /* truncated or inconsistent headers */
#define USHER_STAT_PASS_UNSUPPORTED 5 /* >2 VLAN tags, IPv6 extension chains too long */
#define USHER_STAT_PASS_L7 6          /* a service of mode L7: handed to the host stack */
#define USHER_STAT_TX 7               /* forwarded with XDP_TX */
#define USHER_STAT_REDIRECT 8         /* forwarded with bpf_redirect to another interface */
#define USHER_STAT_DROP_NO_REAL 9     /* a service without any usable real server */
#define USHER_STAT_DROP_ENCAP 10      /* headroom could not be grown for encapsulation */
#define USHER_STAT_CT_HIT 11          /* packets of an established (tracked) flow */
#define USHER_STAT_CT_NEW 12          /* first packets: a real was chosen by Maglev */
#define USHER_STAT_CT_RESCHEDULED 13  /* tracked flow whose real was removed: chosen anew */
#define USHER_STAT_MAX 14
/* 0..10 are verdict reasons (they add up to all packets); 11..13 count flow events. */
#define USHER_STAT_VERDICT_MAX 11

_Static_assert(sizeof(struct usher_vip_key) == 20, "usher_vip_key layout");
_Static_assert(sizeof(struct usher_service) == 8, "usher_service layout");
_Static_assert(sizeof(struct usher_real) == 36, "usher_real layout");
_Static_assert(sizeof(struct usher_flow_key) == 40, "usher_flow_key layout");
_Static_assert(sizeof(struct usher_flow) == 16, "usher_flow layout");
_Static_assert(sizeof(struct usher_global) == 32, "usher_global layout");
_Static_assert(sizeof(struct usher_counter) == 16, "usher_counter layout");
_Static_assert(sizeof(struct usher_service_stats) == 32, "usher_service_stats layout");
_Static_assert(sizeof(struct usher_real_stats) == 32, "usher_real_stats layout");

#endif /* USHER_ABI_H */
