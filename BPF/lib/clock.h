/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The clock of the flow tables' last_seen_ns: CLOCK_MONOTONIC in nanoseconds at a tick's
 * resolution, as bpf_ktime_get_coarse_ns() gives it, but asked of the kernel once per tick and
 * CPU. That helper call cost an established flow about a fifth of its time; the jiffies counter
 * (bpf_jiffies64(), which the verifier turns into one load on 64-bit JITs) says when a tick
 * has passed. The kernel counts the tick in jiffies just before it moves the coarse clock, so a
 * reading may lag the coarse clock by one more tick: a few milliseconds, against the second
 * at which last_seen_ns is refreshed (USHER_CT_REFRESH_NS) and the idle timeouts of NAT flows.
 */
#ifndef USHER_LIB_CLOCK_H
#define USHER_LIB_CLOCK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* One CPU's last reading of the coarse clock, and the jiffies it was read at. */
struct usher_clock {
	__u64 jiffies;
	__u64 now_ns;
};

/* The clock readings, per CPU (one entry, key 0). Not pinned: a cache, not a table. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_clock);
	__uint(max_entries, 1);
} usher_clock SEC(".maps");

/* Returns CLOCK_MONOTONIC in ns to within two ticks: this CPU's reading of the coarse clock,
 * read anew when jiffies moved since. Readings of different CPUs may differ by a tick: compare
 * them as `now > last + interval`, never `now - last > interval`. */
static __always_inline __u64 usher_now_ns(void)
{
	__u32 key = 0;
	struct usher_clock *c = bpf_map_lookup_elem(&usher_clock, &key);
	__u64 jiffies = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != jiffies) {
		c->jiffies = jiffies;
		c->now_ns = bpf_ktime_get_coarse_ns();
	}
	return c->now_ns;
}

#endif /* USHER_LIB_CLOCK_H */
