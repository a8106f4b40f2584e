import CUsherBench

/// The settings of `usher_bench_knobs` (Benchmarks/BPF/usher_bench.c), by the indices and sizes
/// that Benchmarks/BPF/include/usher/bench.h defines for both sides.
enum BenchKnob {
    static let count = Int(USHER_BENCH_KNOB_MAX.rawValue)
    static let maxFrame = Int(USHER_BENCH_MAX_FRAME)

    /// The knob values for `frame` varied by `variation`, in index order.
    static func values(length: Int, variation: FlowVariation, checksumOffset: Int = 0) -> [UInt32] {
        var knobs = [UInt32](repeating: 0, count: count)
        knobs[index(USHER_BENCH_FRAME_LEN)] = UInt32(length)
        knobs[index(USHER_BENCH_CSUM)] = UInt32(checksumOffset)
        knobs[index(USHER_BENCH_STRIDE)] = variation.stride
        knobs[index(USHER_BENCH_MODULUS)] = variation.modulus
        for (k, field) in variation.fields.prefix(2).enumerated() {
            // Field k's knobs: offset, width, shift, mask, base.
            let first = index(USHER_BENCH_FIELD0) + k * Int(USHER_BENCH_FIELD_KNOBS)
            knobs[first] = field.offset
            knobs[first + 1] = UInt32(field.width)
            knobs[first + 2] = UInt32(field.shift)
            knobs[first + 3] = field.mask
            knobs[first + 4] = field.base
        }
        return knobs
    }

    private static func index(_ knob: usher_bench_knob) -> Int { Int(knob.rawValue) }
}

/// The names in `Benchmarks/BPF/usher_bench.c` and `usher_floor.c`.
enum BenchName {
    static let object = "usher_bench"
    static let wrap = "usher_bench_wrap"
    static let empty = "usher_bench_empty"
    static let probe = "usher_bench_probe"
    static let generator = "usher_bench_gen"
    static let counter = "usher_bench_count"
    static let switchProgram = "usher_bench_switch"
    static let ports = "usher_bench_ports"
    static let unknown = "usher_bench_unknown"
    static let knobs = "usher_bench_knobs"
    static let frame = "usher_bench_frame"
    static let iterations = "usher_bench_iter"
    static let target = "usher_bench_target"
    static let arrived = "usher_bench_arrived"
    static let records = "usher_bench_records"
    static let probed = "usher_bench_probed"
    static let floorObject = "usher_floor"
    static let floor = "usher_floor"
    /// The set-associative flow-table candidate (Benchmarks/BPF/usher_cand_sa.c).
    static let setAssociativeObject = "usher_cand_sa"
    static let setAssociative = "usher_cand_sa_balance"
    static let setAssociativeTable = "usher_cand_sa"
}
