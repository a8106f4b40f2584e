/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The balancer's maps. Names, types, keys, values and sizes are the contract with the control
 * plane (abi.h holds the layouts). Every map is pinned by name under the pin directory, so a
 * restarted control plane and a reloaded program share the same tables and counters.
 */
#ifndef USHER_LIB_MAPS_H
#define USHER_LIB_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/abi.h"

/* The running generation of the three tables below (usher_generation); one entry, key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_generation);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_gen_v1 SEC(".maps");

/* Virtual services by (VIP, port, protocol, family, generation slot); port 0 is the VIP's
 * every-port service. Room for a whole generation in each slot. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct usher_vip_key);
	__type(value, struct usher_service);
	__uint(max_entries, USHER_GENERATIONS * USHER_MAX_SERVICES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_vips_v2 SEC(".maps");

/* Real servers by USHER_REAL_INDEX(slot, real id), one entry per (service, real) membership
 * (usher_real.service_id) in each generation; an entry without USHER_REAL_F_PRESENT is free. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_real);
	__uint(max_entries, USHER_GENERATIONS * USHER_MAX_REALS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_reals_v3 SEC(".maps");

/* Template of a service's Maglev table: slot 0 = size M, slots 1..M = real ids. Real tables
 * are sized per service; BPF_F_INNER_MAP lets their max_entries differ from this one. Inner
 * maps must have the template's flags: BPF_F_MMAPABLE lets the control plane write a whole
 * table through one mapping (Sources/UsherBPF/MaglevInnerMap.swift). */
struct usher_maglev_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
};

/* Maglev table of each service, by USHER_MAGLEV_INDEX(slot, service id); an unchanged table is
 * the same inner map in both slots. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__type(key, __u32);
	__uint(max_entries, USHER_GENERATIONS * USHER_MAX_SERVICES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct usher_maglev_table);
} usher_maglev_v2 SEC(".maps");

/* Each generation's services by id (struct usher_service_entry): what a tracked dsr flow's
 * entry names, checked against the packet's VIP (lookup.h, usher_lookup_flow_service). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_service_entry);
	__uint(max_entries, USHER_GENERATIONS * USHER_MAX_SERVICES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_svcs_v1 SEC(".maps");

/* Connection tracking: the real each client dsr flow was sent to, in a set-associative table
 * shared by every CPU (usher/abi.h, usher_ct_set; conntrack.h). Its sets' tags and ages, one
 * cache line per set, then its ways. Arrays, not an LRU hash: a lookup reads one line for a
 * miss and two for a hit, an insert locks nothing and rotates no list, and a table that has
 * been full costs no more (Docs/ARCHITECTURE.md, "The flow table"). BPF_F_MMAPABLE: `usher
 * flows`, a flush and the HA pair's flow sync read and write them in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_ct_set);
	__uint(max_entries, USHER_CT_SETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_ctset_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_ct_way);
	__uint(max_entries, USHER_CT_SETS * USHER_CT_WAYS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_ct_v3 SEC(".maps");

/* Address filter, indexed by USHER_ADDR_SLOT of an address: USHER_ADDR_F_* of the VIPs, SNAT
 * addresses and gateway reals in that slot. A packet to (and from) no such address costs one
 * array read here instead of hash lookups. Written by the control plane before the tables. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, USHER_ADDR_SLOTS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_addrs_v1 SEC(".maps");

/* SNAT pools by pool id (usher_service.snat_pool). A hash map: a pool is replaced whole. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, struct usher_snat_pool);
	__uint(max_entries, USHER_MAX_SNAT_POOLS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_snat_v1 SEC(".maps");

/* NAT flows, forward direction: by the client's tuple, how to rewrite towards the real.
 * One common LRU (flags 0), for the measured reason the flow table had one before it was
 * set-associative (cheaper inserts once the table has been full), and one more for an exact table: with BPF_F_NO_COMMON_LRU (v1)
 * each CPU owned max_entries / CPUs, so traffic on one CPU lost live translations once it held
 * that share, with the rest of the table empty. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct usher_flow_key);
	__type(value, struct usher_nat_flow);
	__uint(max_entries, USHER_NAT_DEFAULT_ENTRIES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_nat_v2 SEC(".maps");

/* NAT flows, reply direction: by the real's reply tuple, how to rewrite back to the client.
 * An entry's existence is what reserves its SNAT port (inserted with BPF_NOEXIST). One common
 * LRU, as usher_nat_v2. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct usher_flow_key);
	__type(value, struct usher_nat_reply);
	__uint(max_entries, USHER_NAT_DEFAULT_ENTRIES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_natrev_v2 SEC(".maps");

/* Settings shared by every service: IP-in-IP outer sources, NAT knobs. One entry, key 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_global);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_global_v2 SEC(".maps");

/* Global counters per CPU, indexed by USHER_STAT_*. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_counter);
	__uint(max_entries, USHER_STAT_MAX);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_stats_v3 SEC(".maps");

/* Counters per CPU of each virtual service, by service id. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_service_stats);
	__uint(max_entries, USHER_MAX_SERVICES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_sstats_v2 SEC(".maps");

/* Counters per CPU of each real server in each service, by real id (per (service, real)). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_real_stats);
	__uint(max_entries, USHER_MAX_REALS);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} usher_rstats_v1 SEC(".maps");

#endif /* USHER_LIB_MAPS_H */
