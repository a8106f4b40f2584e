/// Indices of the `usher_bench_knobs` map of `BPF/usher_bench.c` (enum usher_bench_knob there),
/// and its sizes. The harness's tests (a probe recording every iteration's frame) fail if the two
/// ever disagree.
enum BenchKnob {
    static let frameLength: UInt32 = 0
    static let stride: UInt32 = 1
    static let modulus: UInt32 = 2
    /// Field k's knobs start at field0 + 5k: offset, width, shift, mask, base.
    static let field0: UInt32 = 3
    static let fieldKnobs: UInt32 = 5
    /// usher_bench_gen only: offset of the L4 checksum that field 0 is summed into (0: none).
    static let checksum: UInt32 = 13
    static let count = 14

    static let maxFrame = 512
    static let probeBytes = 128
    static let probeSlots = 1024

    /// The knob values for `frame` varied by `variation`, in index order.
    static func values(length: Int, variation: FlowVariation, checksumOffset: Int = 0) -> [UInt32] {
        var knobs = [UInt32](repeating: 0, count: count)
        knobs[Int(frameLength)] = UInt32(length)
        knobs[Int(checksum)] = UInt32(checksumOffset)
        knobs[Int(stride)] = variation.stride
        knobs[Int(modulus)] = variation.modulus
        for (k, field) in variation.fields.prefix(2).enumerated() {
            let first = Int(field0) + k * Int(fieldKnobs)
            knobs[first] = field.offset
            knobs[first + 1] = UInt32(field.width)
            knobs[first + 2] = UInt32(field.shift)
            knobs[first + 3] = field.mask
            knobs[first + 4] = field.base
        }
        return knobs
    }
}

/// The names in `BPF/usher_bench.c`.
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
}
