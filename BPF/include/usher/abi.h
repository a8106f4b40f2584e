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
#define USHER_CONNTRACK_DEFAULT_ENTRIES 1048576 /* flows usher_ct_v3 holds (in twice as many ways) */
#define USHER_NAT_DEFAULT_ENTRIES 1048576 /* each of usher_nat_v2 and usher_natrev_v2 */
#define USHER_MAX_SNAT_POOLS 256
#define USHER_SNAT_MAX_ADDRS 16    /* addresses in one SNAT pool */
#define USHER_NAT_PROBES 32        /* SNAT ports tried for a new flow before it counts as exhausted */
#define USHER_ADDR_SLOTS 65536     /* entries of the address filter usher_addrs_v1 */
#define USHER_MAGLEV_DEFAULT_SIZE 65537
#define USHER_MAGLEV_MAX_SIZE 1048573 /* largest prime the control plane accepts */

/*
 * Generations. The tables an apply writes (usher_vips_v2, usher_reals_v3, usher_maglev_v2) hold
 * two generations side by side, in slots 0 and 1: the running one, which packets read, and the
 * next one, which an apply fills while packets still read the other. usher_gen_v1 names the
 * running generation; writing it is the apply's one switch, so every service changes at once
 * (Docs/ARCHITECTURE.md, "Generations"). A packet reads it once and uses that slot throughout.
 */
#define USHER_GENERATIONS 2
#define USHER_GEN_SLOT(number) ((number) & 1u)
/* Index of a real id's entry in usher_reals_v3, and of a service id's Maglev table in
 * usher_maglev_v2, in a generation's slot. Ids are the same in both slots. */
#define USHER_REAL_INDEX(slot, real_id) ((slot) * USHER_MAX_REALS + (real_id))
#define USHER_MAGLEV_INDEX(slot, service_id) ((slot) * USHER_MAX_SERVICES + (service_id))
/* Index of a service id's entry in usher_svcs_v1 in a generation's slot. */
#define USHER_SERVICE_INDEX(slot, service_id) ((slot) * USHER_MAX_SERVICES + (service_id))

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
#define USHER_MODE_NAT 4      /* full NAT: destination to the real, source to a SNAT address */
#define USHER_MODE_GATEWAY 5  /* gateway NAT: destination only; the balancer routes the replies */

/* usher_real.flags */
#define USHER_REAL_F_PRESENT 0x01 /* the slot holds a configured real server */

/* usher_service.flags */
#define USHER_SVC_F_SRC_HASH 0x01 /* hash on the client address only (no ports) */

/* usher_global.flags */
#define USHER_GLOBAL_F_NAT 0x01 /* some service is nat or gateway: ICMP errors are examined */

/*
 * Values of usher_addrs_v1: what the addresses that fall into a slot are. The slot of an address
 * is usher_addr_slot() of abi.h; several addresses may share a slot, so the flags are a union
 * and a set flag only means "look further" (a packet to no local address costs one array read).
 */
#define USHER_ADDR_F_VIP_PORT 0x01 /* a VIP with a service on a given port */
#define USHER_ADDR_F_VIP_ALL 0x02  /* a VIP with an every-port service */
#define USHER_ADDR_F_SNAT 0x04     /* a SNAT pool address: replies of nat flows come to it */
#define USHER_ADDR_F_GW_REAL 0x08  /* a real of a gateway service: its replies come from it */
#define USHER_ADDR_F_DSR 0x10      /* a VIP with a dsr service: a packet's tracked flow is looked up first */

/* Slot of an address in usher_addrs_v1: the folded address (as in the flow hash: the address
 * bytes read as little-endian u32 words, XORed for IPv6) times 0x9E3779B1, top 16 bits. */
#define USHER_ADDR_SLOT_MUL 0x9E3779B1u
#define USHER_ADDR_SLOT(folded) ((__u32)((__u32)(folded) * USHER_ADDR_SLOT_MUL) >> 16)

/* NAT flow state bits (usher_nat_flow.state from the client, usher_nat_reply.state from the
 * real). A TCP flow is closed when either side sent RST or both sent FIN; then its SNAT port is
 * free after usher_global.nat_tcp_closed_s instead of nat_tcp_idle_s. */
#define USHER_NAT_S_FIN 0x01
#define USHER_NAT_S_RST 0x02

/* Key of usher_vips_v2: one virtual service in one generation's slot. */
struct usher_vip_key {
	__u8 addr[16]; /* network order; IPv4 in addr[0..3], the rest zero */
	__u16 port;    /* network order; 0 = every port of this VIP and protocol */
	__u8 proto;    /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family;   /* USHER_FAMILY_V4 or USHER_FAMILY_V6 */
	__u8 slot;     /* generation slot, 0 or 1 (USHER_GEN_SLOT) */
	__u8 pad[3];
};

/* Value of usher_vips_v2. Hash-map values are replaced whole, so readers never see a mix. */
struct usher_service {
	__u32 id;        /* service id: Maglev table (USHER_MAGLEV_INDEX) and usher_sstats_v2 */
	__u8 mode;       /* USHER_MODE_* */
	__u8 flags;      /* USHER_SVC_F_* */
	__u16 snat_pool; /* mode nat: key of its pool in usher_snat_v1; else 0 */
};

/* Value of usher_svcs_v1, indexed by USHER_SERVICE_INDEX(slot, service id): each service of a
 * generation by id, with its usher_vips_v2 key (slot 0), so that a tracked flow's service is
 * found by the id its entry holds and checked against the packet's VIP without the hash lookup.
 * A zero entry (key.family 0) holds no service. */
struct usher_service_entry {
	struct usher_vip_key key;
	struct usher_service svc;
};

/*
 * Value of usher_reals_v3, indexed by USHER_REAL_INDEX(slot, real id). A real id names one (service, real) membership:
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
	__u16 port;      /* network order: nat/gateway destination port at the real; 0 = the client's */
	__u16 pad;
};

/* Value of usher_gen_v1 (one entry): the running generation. Written only by an apply, last,
 * after the next generation's slot is complete; one aligned 4-byte store, so a packet reads
 * the old number or the new one. */
struct usher_generation {
	__u32 number; /* counts switches; its slot USHER_GEN_SLOT(number) is the running one */
	__u32 pad;
};

/* A flow as the client sent it: what a way of usher_ct_v3 holds, and the key of usher_nat_v2. */
struct usher_flow_key {
	__u8 src[16]; /* network order */
	__u8 dst[16]; /* network order */
	__u16 sport;  /* network order */
	__u16 dport;  /* network order */
	__u8 proto;
	__u8 family;
	__u16 pad;
};

/* A tracked dsr flow's state: where a way of usher_ct_v3 sends it, as the control plane reads
 * and writes it. */
struct usher_flow {
	__u32 real_id;
	__u32 service_id;
	__u64 last_seen_ns; /* bpf_ktime_get_coarse_ns() (CLOCK_MONOTONIC), refreshed at most once a second */
};

/*
 * The dsr flow table (Docs/ARCHITECTURE.md, "The flow table"): USHER_CT_SETS sets of
 * USHER_CT_WAYS ways, shared by every CPU, twice as many ways as the flows it is sized for. The
 * flow hash (usher_flow_hash) picks the set, its low bits, and gives the flow's tag, its high
 * half (never 0). usher_ctset_v3[set] is one cache line: the set's tags (0: the way is empty)
 * and when each way was last seen, in ticks of 2^USHER_CT_TICK_SHIFT ns (wrapping); way w of
 * the set is usher_ct_v3[set * USHER_CT_WAYS + w]. A way is read only when its tag is the
 * flow's. Both arrays are BPF_F_MMAPABLE: the control plane walks and writes them in place.
 */
#define USHER_CT_WAYS 16
#define USHER_CT_SETS 131072 /* 2 * USHER_CONNTRACK_DEFAULT_ENTRIES / USHER_CT_WAYS */
#define USHER_CT_TICK_SHIFT 24 /* about 17 ms; 16 bits of ticks wrap after about 18 minutes */

/* Value of usher_ctset_v3: one set's tags and ages. */
struct usher_ct_set {
	__u16 tag[USHER_CT_WAYS];  /* 0: empty; else the flow hash's high half (a 0 made 1) */
	__u16 seen[USHER_CT_WAYS]; /* tick the way was last written or refreshed */
};

/* Value of usher_ct_v3: one way, one cache line. Written key first and check word last; a way
 * whose check word does not match its fields (two CPUs writing it at once) reads as empty. */
struct usher_ct_way {
	__u64 key[5];       /* a struct usher_flow_key, as five words */
	__u32 real_id;      /* as usher_flow's */
	__u32 service_id;
	__u64 last_seen_ns;
	__u32 check;        /* usher_ct_check(hash, real_id, service_id): never 0 */
	__u32 pad;
};

/*
 * Value of usher_global_v2 (one entry). Outer source addresses of IP-in-IP are the base
 * with its host bits taken from the flow hash, so receive-side scaling spreads flows.
 */
struct usher_global {
	__u32 encap_src4;          /* network order: base address */
	__u32 encap_src4_hostmask; /* network order: bits taken from the hash (0 = fixed) */
	__u8 encap_src6[16];       /* network order: base address */
	__u32 encap_src6_hostmask; /* network order: applied to the last 32 bits */
	__u32 flags;               /* USHER_GLOBAL_F_* */
	__u32 nr_cpus;             /* possible CPUs: each CPU allocates SNAT ports of its own share */
	__u32 nat_tcp_idle_s;      /* a TCP NAT flow idle this long frees its SNAT port */
	__u32 nat_tcp_closed_s;    /* ... once closed (RST, or FIN both ways) */
	__u32 nat_udp_idle_s;      /* a UDP NAT flow idle this long frees its SNAT port */
};

/*
 * Value of usher_snat_v1, by pool id: the source addresses and ports of nat flows. Ports are
 * shared out among CPUs so that no two CPUs ever try the same one: CPU c of n uses the ports
 * port_min + k*n + c (k = 0 .. (port_max - port_min + 1)/n - 1) of every address. A new flow
 * tries USHER_NAT_PROBES candidates, linearly from its 5-tuple hash, over (address, k):
 * candidate i = (hash + i) % (count * per_cpu), address = candidate / per_cpu, k = candidate % per_cpu.
 */
struct usher_snat_pool {
	__u8 addrs[USHER_SNAT_MAX_ADDRS][16]; /* network order; the first `count` are used */
	__u16 port_min;                       /* host order, inclusive */
	__u16 port_max;                       /* host order, inclusive */
	__u8 count;                           /* addresses in use, 1..USHER_SNAT_MAX_ADDRS */
	__u8 family;                          /* USHER_FAMILY_*, the same for every address */
	__u16 pad;
};

/* Key of usher_addrs_v1 is the slot (USHER_ADDR_SLOT); its value a __u32 of USHER_ADDR_F_*. */

/*
 * Value of usher_nat_v2, keyed by the flow as the client sent it (struct usher_flow_key): how its
 * packets are rewritten on their way to the real. For gateway flows the "SNAT" address and port
 * are the client's own, so both modes share one path.
 */
struct usher_nat_flow {
	__u8 snat_addr[16];   /* network order: the source the real sees */
	__u64 last_seen_ns;   /* bpf_ktime_get_coarse_ns(), refreshed at most once a second */
	__u32 real_id;
	__u32 service_id;
	__u16 snat_port;      /* network order: the source port the real sees */
	__u16 real_port;      /* network order: the destination port at the real */
	__u8 state;           /* USHER_NAT_S_* sent by the client */
	__u8 pad[3];
};

/*
 * Value of usher_natrev_v2, keyed by a reply as the real sends it (struct usher_flow_key with
 * src = real, dst = SNAT address (gateway: the client), sport = real port, dport = SNAT port):
 * how the reply is rewritten and where it goes. Replies leave by the interface and to the MAC
 * the client's packets came from ("auto last hop"), from the MAC they were sent to.
 */
struct usher_nat_reply {
	struct usher_flow_key client; /* the flow as the client sent it: key of its usher_nat_v2 */
	__u64 last_seen_ns;           /* as usher_nat_flow's, for the reply direction */
	__u32 real_id;
	__u32 service_id;
	__u32 ifindex;                /* interface the client's packets arrive by */
	__u8 client_mac[6];           /* source MAC of the client's frames: the client-side hop */
	__u8 local_mac[6];            /* destination MAC of the client's frames: ours */
	__u8 state;                   /* USHER_NAT_S_* sent by the real */
	__u8 pad[7];
};

/*
 * Inner maps of usher_maglev_v2 are BPF_F_INNER_MAP | BPF_F_MMAPABLE arrays of __u32:
 * slot 0 holds the table size M, slots 1..M the real ids. The outer slot is swapped in one
 * update, so a packet sees a whole old table or a whole new one.
 */
#define USHER_MAGLEV_SIZE_SLOT 0

/* Value of usher_stats_v3 (per CPU), indexed by USHER_STAT_*. */
struct usher_counter {
	__u64 packets;
	__u64 bytes;
};

/* Value of usher_sstats_v2 (per CPU), indexed by service id. */
struct usher_service_stats {
	__u64 packets;
	__u64 bytes;
	__u64 new_flows;
	__u64 no_real;       /* packets dropped because the service had no real to choose */
	__u64 nat_exhausted; /* new flows dropped: no free SNAT port (nat), reply tuple taken (gateway) */
	__u64 reply_packets; /* nat/gateway replies translated back to clients */
	__u64 reply_bytes;
	__u64 pad;
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
#define USHER_STAT_PASS_NOT_L4 2      /* IP, but neither TCP nor UDP (e.g. ICMP of no NAT flow) */
#define USHER_STAT_PASS_FRAGMENT 3    /* IP fragments: ports cannot be read */
#define USHER_STAT_PASS_MALFORMED 4   /* truncated or inconsistent headers */
#define USHER_STAT_PASS_UNSUPPORTED 5 /* >2 VLAN tags, IPv6 extension chains too long */
#define USHER_STAT_PASS_L7 6          /* a service of mode L7: handed to the host stack */
#define USHER_STAT_PASS_NO_FLOW 7     /* to a SNAT address / from a gateway real, of no NAT flow */
#define USHER_STAT_TX 8               /* forwarded with XDP_TX */
#define USHER_STAT_REDIRECT 9         /* forwarded with bpf_redirect to another interface */
#define USHER_STAT_DROP_NO_REAL 10    /* a service without any usable real server */
#define USHER_STAT_DROP_ENCAP 11      /* headroom could not be grown for encapsulation */
#define USHER_STAT_DROP_NAT_EXHAUSTED 12 /* new nat/gateway flow: no free SNAT port / tuple */
#define USHER_STAT_CT_HIT 13          /* packets of an established (tracked) flow */
#define USHER_STAT_CT_NEW 14          /* a real chosen by Maglev for a new flow: a SYN, a first UDP packet */
#define USHER_STAT_CT_RESCHEDULED 15  /* tracked flow whose real was removed: chosen anew */
#define USHER_STAT_NAT_REPLY 16       /* replies of nat/gateway flows translated to the client */
#define USHER_STAT_NAT_ICMP 17        /* ICMP errors of nat/gateway flows translated */
#define USHER_STAT_NAT_RECLAIMED 18   /* SNAT ports taken over from idle or closed flows */
#define USHER_STAT_CT_CONFIRMED 19    /* dsr: a TCP flow's first packet that is no bare SYN: its entry made */
#define USHER_STAT_MAX 20
/* 0..12 are verdict reasons (they add up to all packets); 13..18 count flow events. */
#define USHER_STAT_PASS_LAST USHER_STAT_PASS_NO_FLOW /* reasons 0..this one are XDP_PASS */
#define USHER_STAT_VERDICT_MAX 13

_Static_assert(sizeof(struct usher_vip_key) == 24, "usher_vip_key layout");
_Static_assert(sizeof(struct usher_generation) == 8, "usher_generation layout");
_Static_assert(sizeof(struct usher_service) == 8, "usher_service layout");
_Static_assert(sizeof(struct usher_service_entry) == 32, "usher_service_entry layout");
_Static_assert(sizeof(struct usher_real) == 40, "usher_real layout");
_Static_assert(sizeof(struct usher_flow_key) == 40, "usher_flow_key layout");
_Static_assert(sizeof(struct usher_flow) == 16, "usher_flow layout");
_Static_assert(sizeof(struct usher_ct_set) == 64, "usher_ct_set layout: one cache line");
_Static_assert(sizeof(struct usher_ct_way) == 64, "usher_ct_way layout: one cache line");
_Static_assert(sizeof(struct usher_flow_key) == 5 * sizeof(__u64), "a way's key words");
_Static_assert((USHER_CT_SETS & (USHER_CT_SETS - 1)) == 0, "the set is the hash's low bits");
_Static_assert(USHER_CT_SETS * USHER_CT_WAYS == 2 * USHER_CONNTRACK_DEFAULT_ENTRIES, "twice the flows, in ways");
_Static_assert(sizeof(struct usher_global) == 48, "usher_global layout");
_Static_assert(sizeof(struct usher_snat_pool) == 264, "usher_snat_pool layout");
_Static_assert(sizeof(struct usher_nat_flow) == 40, "usher_nat_flow layout");
_Static_assert(sizeof(struct usher_nat_reply) == 80, "usher_nat_reply layout");
_Static_assert(sizeof(struct usher_counter) == 16, "usher_counter layout");
_Static_assert(sizeof(struct usher_service_stats) == 64, "usher_service_stats layout");
_Static_assert(sizeof(struct usher_real_stats) == 32, "usher_real_stats layout");

#endif /* USHER_ABI_H */
