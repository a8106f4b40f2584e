import CUsherBench
import Foundation
import UsherBPF

extension BenchKnob {
    /// Checks a frame and how iterations vary its flow against what usher_bench.c can hold,
    /// then stores the frame (zero-padded) in `frameMap` and the knobs that vary it in `knobs`.
    /// `caller` and `role` name the program in errors ("bench", "the wrapper").
    static func store(frame: [UInt8], variation: FlowVariation, checksumOffset: Int = 0,
                      frameMap: MapFD, knobs: MapFD, caller: String, role: String) throws {
        guard (14...maxFrame).contains(frame.count) else {
            throw BPFError(call: caller, subject: "frame of \(frame.count) bytes",
                           message: "\(role) holds frames of 14 ... \(maxFrame) bytes")
        }
        guard variation.fields.count <= 2,
              variation.fields.allSatisfy({ [0, 1, 2, 4].contains($0.width) && Int($0.offset) + Int($0.width) <= frame.count })
        else {
            throw BPFError(call: caller, subject: "flow variation",
                           message: "at most 2 fields of 1, 2 or 4 bytes, inside the \(frame.count)-byte frame")
        }
        var stored = usher_bench_frame()
        withUnsafeMutableBytes(of: &stored.bytes) { $0.copyBytes(from: frame) } // the rest stays 0
        try frameMap.update(UInt32(0), stored)
        try knobs.updateArray(values(length: frame.count, variation: variation, checksumOffset: checksumOffset))
    }
}
