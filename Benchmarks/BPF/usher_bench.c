// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Programs of the benchmark harness (Benchmarks/, Docs/BENCHMARKS.md), embedded in
 * usher-bench only; `usher` does not carry them. Knobs and records: usher/bench.h.
 *
 * BPF_PROG_TEST_RUN with `repeat` runs every iteration on the frame as the previous iteration
 * left it: a frame that usher_balance encapsulated comes back as IP-in-IP and takes another
 * path. usher_bench_wrap therefore puts the original frame back before each iteration, gives it
 * the flow of that iteration (see "Flow variation"), and tail-calls the program under test in
 * slot 0 of usher_bench_target. Its own cost is measured the same way with usher_bench_empty
 * in the slot, and subtracted.
 *
 * Flow variation: iteration i (the counter in usher_bench_iter, reset by the harness) has the
 * flow index idx = (i * STRIDE) % MODULUS (no modulus when it is 0); each of two fields, when
 * its width is not 0, gets BASE + ((idx >> SHIFT) & MASK) written big-endian at OFFSET.
 * A source port and a source address byte give up to 2^24 distinct flows.
 *
 * usher_bench_gen is the traffic generator of the lab (BPF_F_TEST_XDP_LIVE_FRAMES): the same
 * restore-and-vary step, the L4 checksum brought up to date for the varied 16-bit field 0 (so
 * that the kernel's stack, conntrack included, takes the frames as valid), then XDP_TX out of
 * the interface named as ingress. usher_bench_count counts what reaches a receiver and drops
 * it. usher_bench_switch is the lab's wire: it sends a frame to the port of its destination MAC.
 * usher_bench_probe records what each iteration saw and then mangles the frame: the harness's
 * own tests use it.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "usher/bench.h"

/* Settings written by the harness before a run, indexed by enum usher_bench_knob. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, USHER_BENCH_KNOB_MAX);
} usher_bench_knobs SEC(".maps");

/* The original frame, written by the harness. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_bench_frame);
	__uint(max_entries, 1);
} usher_bench_frame SEC(".maps");

/* Iterations run since the harness last reset it (one test run runs on one CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} usher_bench_iter SEC(".maps");

/* Slot 0: the program under test. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 1);
} usher_bench_target SEC(".maps");

/* Frames that reached a receiver: packets and bytes, per CPU (usher_bench_count). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_bench_arrivals);
	__uint(max_entries, 1);
} usher_bench_arrived SEC(".maps");

/* The lab's switch: destination MAC (6 bytes, then 2 zero bytes) to the ifindex it lives behind. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u64);
	__type(value, __u32);
	__uint(max_entries, 64);
} usher_bench_ports SEC(".maps");

/* Frames the switch dropped for want of a port, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} usher_bench_unknown SEC(".maps");

/* What the probe saw in iteration i (slot i), for the first USHER_BENCH_PROBE_SLOTS. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct usher_bench_record);
	__uint(max_entries, USHER_BENCH_PROBE_SLOTS);
} usher_bench_records SEC(".maps");

/* Iterations the probe has seen. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} usher_bench_probed SEC(".maps");

/* Returns knob `index`, or 0 if the map has no such entry. */
static __always_inline __u32 usher_bench_knob(__u32 index)
{
	__u32 *value = bpf_map_lookup_elem(&usher_bench_knobs, &index);

	return value ? *value : 0;
}

/* Writes field `first` (the index of its offset knob) of flow index idx into the frame;
 * returns 0, or -1 if the field does not fit the frame. */
static __always_inline int usher_bench_vary(struct xdp_md *ctx, __u32 first, __u32 idx)
{
	__u32 width = usher_bench_knob(first + 1);
	__u32 offset, value;
	__u8 be[4];

	if (width == 0)
		return 0;
	offset = usher_bench_knob(first);
	value = usher_bench_knob(first + 4) + ((idx >> (usher_bench_knob(first + 2) & 31)) & usher_bench_knob(first + 3));
	be[0] = value >> 24;
	be[1] = value >> 16;
	be[2] = value >> 8;
	be[3] = value;
	/* Constant sizes, as the helper wants: the last `width` bytes of the big-endian word. */
	if (width == 1)
		return bpf_xdp_store_bytes(ctx, offset, &be[3], 1) ? -1 : 0;
	if (width == 2)
		return bpf_xdp_store_bytes(ctx, offset, &be[2], 2) ? -1 : 0;
	if (width == 4)
		return bpf_xdp_store_bytes(ctx, offset, be, 4) ? -1 : 0;
	return -1;
}

/* Puts the original frame back where it started (whatever the last iteration grew or shrank
 * at the head: the programs under test only add or strip headers in front) and gives it this
 * iteration's flow. Returns 0, or -1 if the harness's settings do not fit. The head is always
 * adjusted, by 0 when nothing moved, so every iteration costs the same. */
static __always_inline int usher_bench_prepare(struct xdp_md *ctx)
{
	/* The frame's length now, computed at once: the verifier lets no packet pointer be
	 * spilled to the stack as 32 bits, which the compiler would otherwise do. */
	int now = (int)((void *)(long)ctx->data_end - (void *)(long)ctx->data);
	__u32 zero = 0, len = usher_bench_knob(USHER_BENCH_FRAME_LEN);
	__u32 stride, modulus, idx;
	struct usher_bench_frame *frame;
	__u64 *iter, i;

	asm volatile("" : "+r"(now));
	frame = bpf_map_lookup_elem(&usher_bench_frame, &zero);
	iter = bpf_map_lookup_elem(&usher_bench_iter, &zero);
	if (!frame || !iter || len == 0 || len > USHER_BENCH_MAX_FRAME)
		return -1;
	if (bpf_xdp_adjust_head(ctx, now - (int)len))
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, frame->bytes, len))
		return -1;

	i = *iter;
	*iter = i + 1;
	stride = usher_bench_knob(USHER_BENCH_STRIDE);
	modulus = usher_bench_knob(USHER_BENCH_MODULUS);
	idx = (__u32)(i * stride);
	if (modulus)
		idx = (__u32)((i * stride) % modulus);
	if (usher_bench_vary(ctx, USHER_BENCH_FIELD0, idx) || usher_bench_vary(ctx, USHER_BENCH_FIELD1, idx))
		return -1;
	return 0;
}

/* The benchmark wrapper: the original frame, this iteration's flow, then the program under
 * test. XDP_ABORTED (which no program under test returns) when the setup is wrong. */
SEC("xdp")
int usher_bench_wrap(struct xdp_md *ctx)
{
	if (usher_bench_prepare(ctx))
		return XDP_ABORTED;
	bpf_tail_call(ctx, &usher_bench_target, 0);
	return XDP_ABORTED; /* slot 0 is empty */
}

/* Nothing: in slot 0 it measures the wrapper's own cost. */
SEC("xdp")
int usher_bench_empty(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/* Brings the L4 checksum at knob USHER_BENCH_CSUM up to date after field 0 (2 bytes) was
 * varied from the original frame's value (RFC 1624: C' = ~(~C + ~m + m')). Returns 0, or -1 if
 * the settings do not fit the frame. Nothing to do when the knob is 0. */
static __always_inline int usher_bench_fix_csum(struct xdp_md *ctx)
{
	__u32 off = usher_bench_knob(USHER_BENCH_CSUM);
	__u32 field = usher_bench_knob(USHER_BENCH_FIELD0);
	struct usher_bench_frame *frame;
	__u32 zero = 0, sum;
	__u8 now[2], out[2];

	if (off == 0)
		return 0;
	frame = bpf_map_lookup_elem(&usher_bench_frame, &zero);
	if (!frame || off > USHER_BENCH_MAX_FRAME - 2 || field > USHER_BENCH_MAX_FRAME - 2 ||
	    usher_bench_knob(USHER_BENCH_FIELD0 + 1) != 2)
		return -1;
	if (bpf_xdp_load_bytes(ctx, field, now, 2))
		return -1;
	sum = (~((__u32)frame->bytes[off] << 8 | frame->bytes[off + 1]) & 0xffff) +
	      (~((__u32)frame->bytes[field] << 8 | frame->bytes[field + 1]) & 0xffff) +
	      ((__u32)now[0] << 8 | now[1]);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	out[0] = sum >> 8;
	out[1] = sum;
	return bpf_xdp_store_bytes(ctx, off, out, 2) ? -1 : 0;
}

/* The traffic generator: every iteration sends the original frame with its flow. */
SEC("xdp")
int usher_bench_gen(struct xdp_md *ctx)
{
	if (usher_bench_prepare(ctx) || usher_bench_fix_csum(ctx))
		return XDP_DROP;
	return XDP_TX;
}

/* The lab's wire: to the port of the destination MAC (bpf_redirect), else dropped and counted. */
SEC("xdp")
int usher_bench_switch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 mac = 0;
	__u32 zero = 0, *port;
	__u64 *unknown;

	if (data + 6 > data_end)
		return XDP_DROP;
	__builtin_memcpy(&mac, data, 6);
	port = bpf_map_lookup_elem(&usher_bench_ports, &mac);
	if (port)
		return bpf_redirect(*port, 0);
	unknown = bpf_map_lookup_elem(&usher_bench_unknown, &zero);
	if (unknown)
		*unknown += 1;
	return XDP_DROP;
}

/* A receiver: counts the frame and drops it. */
SEC("xdp")
int usher_bench_count(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct usher_bench_arrivals *a = bpf_map_lookup_elem(&usher_bench_arrived, &zero);

	if (a) {
		a->packets++;
		a->bytes += ctx->data_end - ctx->data;
	}
	return XDP_DROP;
}

/* Records the frame this iteration sees, then leaves it as a rewriting program would at its
 * worst: 40 bytes longer at the head and its first bytes overwritten. */
SEC("xdp")
int usher_bench_probe(struct xdp_md *ctx)
{
	/* Computed at once, as in usher_bench_prepare. */
	__u32 len = (__u32)((void *)(long)ctx->data_end - (void *)(long)ctx->data);
	struct usher_bench_record *rec;
	__u32 zero = 0, slot;
	void *data, *data_end;
	__u64 *seen;
	long err = 0;

	asm volatile("" : "+r"(len));
	seen = bpf_map_lookup_elem(&usher_bench_probed, &zero);
	if (!seen)
		return XDP_ABORTED;
	slot = *seen;
	*seen += 1;
	rec = slot < USHER_BENCH_PROBE_SLOTS ? bpf_map_lookup_elem(&usher_bench_records, &slot) : 0;
	if (rec) {
		rec->len = len;
		/* Constant or masked sizes, as the helper wants. */
		__u32 n = len & (USHER_BENCH_PROBE_BYTES - 1);

		asm volatile("" : "+r"(n));
		if (len >= USHER_BENCH_PROBE_BYTES)
			err = bpf_xdp_load_bytes(ctx, 0, rec->bytes, USHER_BENCH_PROBE_BYTES);
		else if (n > 0)
			err = bpf_xdp_load_bytes(ctx, 0, rec->bytes, n);
		if (err)
			return XDP_ABORTED;
	}

	if (bpf_xdp_adjust_head(ctx, -40))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + 64 > data_end)
		return XDP_ABORTED;
	__builtin_memset(data, 0xEE, 64);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
