/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The settings and records of the benchmark programs (Benchmarks/BPF/usher_bench.c), shared
 * with the harness: UsherBenchKit imports this same header through the CUsherBench module map,
 * so the knob indices and sizes are defined here once. Only <linux/types.h> inside.
 */
#ifndef USHER_BENCH_H
#define USHER_BENCH_H

#include <linux/types.h>

#define USHER_BENCH_MAX_FRAME 512    /* bytes of the stored original frame */
#define USHER_BENCH_PROBE_BYTES 128  /* bytes of each frame the probe records */
#define USHER_BENCH_PROBE_SLOTS 1024 /* iterations the probe records */
#define USHER_BENCH_FIELD_KNOBS 5    /* per varied field: offset, width (0, 1, 2 or 4), shift, mask, base */

/* Indices of usher_bench_knobs, the settings the harness writes before a run. */
enum usher_bench_knob {
	USHER_BENCH_FRAME_LEN = 0, /* bytes of the original frame, 1..USHER_BENCH_MAX_FRAME */
	USHER_BENCH_STRIDE = 1,    /* idx = (i * stride) % modulus */
	USHER_BENCH_MODULUS = 2,   /* 0: none */
	USHER_BENCH_FIELD0 = 3,    /* field k's knobs start at FIELD0 + k * USHER_BENCH_FIELD_KNOBS */
	USHER_BENCH_FIELD1 = 8,
	USHER_BENCH_CSUM = 13,     /* usher_bench_gen: offset of the L4 checksum field 0 is summed in, 0: none */
	USHER_BENCH_KNOB_MAX = 14,
};

/* Value of usher_bench_frame: the original frame, zero-padded. */
struct usher_bench_frame {
	__u8 bytes[USHER_BENCH_MAX_FRAME];
};

/* Value of usher_bench_arrived (per CPU): frames that reached a receiver (usher_bench_count). */
struct usher_bench_arrivals {
	__u64 packets;
	__u64 bytes;
};

/* Value of usher_bench_records: what the probe saw in iteration i (slot i). */
struct usher_bench_record {
	__u32 len; /* bytes of the frame as the iteration saw it */
	__u8 bytes[USHER_BENCH_PROBE_BYTES];
};

_Static_assert(USHER_BENCH_FIELD1 == USHER_BENCH_FIELD0 + USHER_BENCH_FIELD_KNOBS, "field knobs");
_Static_assert(USHER_BENCH_CSUM == USHER_BENCH_FIELD1 + USHER_BENCH_FIELD_KNOBS, "checksum knob");
_Static_assert(sizeof(struct usher_bench_record) == 4 + USHER_BENCH_PROBE_BYTES, "usher_bench_record layout");

/*
 * The set-associative flow table of the flow-table candidate usher_cand_sa
 * (Benchmarks/BPF/usher_cand_sa.c): one array shared by every CPU, a set of USHER_CAND_SA_WAYS
 * ways per index, a million ways. A way is the data plane's (struct usher_ct_way, usher/abi.h),
 * repeated here because this header takes only <linux/types.h>; usher_cand_sa.c asserts that
 * the two layouts are one.
 */
#define USHER_CAND_SA_WAYS 4
#define USHER_CAND_SA_SETS (1048576 / USHER_CAND_SA_WAYS)

struct usher_cand_sa_entry {
	__u64 key[5];
	__u32 real_id;
	__u32 service_id;
	__u64 last_seen_ns;
	__u32 check; /* 0: empty */
	__u32 pad;
};

struct usher_cand_sa_set {
	struct usher_cand_sa_entry way[USHER_CAND_SA_WAYS];
};

#endif /* USHER_BENCH_H */
