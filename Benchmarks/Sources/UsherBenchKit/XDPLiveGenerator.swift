import Foundation
import UsherBPF

/// The lab's traffic generator: `usher_bench_gen` (Benchmarks/BPF/usher_bench.c) run by BPF_PROG_TEST_RUN
/// with `BPF_F_TEST_XDP_LIVE_FRAMES`. Every iteration puts the original frame back, gives it the
/// iteration's flow (and brings the TCP/UDP checksum up to date when asked), and transmits it
/// with XDP_TX out of the interface named as ingress, as a NIC's driver would. The count is the
/// test run's `repeat`: exactly that many frames, then the call returns.
///
/// The interface is looked up in the calling thread's network namespace: call `send` from a
/// thread that entered the generator's namespace.
public final class XDPLiveGenerator {
    private let object: BPFObject
    private let knobs: MapFD
    private let frameMap: MapFD
    private let iterations: MapFD
    private var frame: [UInt8] = []

    public init() throws {
        object = try BenchObject.open(BenchName.object, programs: [BenchName.generator])
        try object.load()
        knobs = try object.mapFD(named: BenchName.knobs)
        frameMap = try object.mapFD(named: BenchName.frame)
        iterations = try object.mapFD(named: BenchName.iterations)
    }

    /// Sets the frame every iteration starts from, how iterations vary its flow, and the offset
    /// of the L4 checksum to keep valid (nil: left as it is; the variation's first field must then
    /// be 2 bytes wide, a port). One frame is run through the generator to check the settings.
    public func prepare(frame: [UInt8], variation: FlowVariation, checksumOffset: Int?) throws {
        if let offset = checksumOffset {
            guard offset > 0, offset + 2 <= frame.count, variation.fields.first?.width == 2 else {
                throw BPFError(call: "generator", subject: "checksum at offset \(offset)",
                               message: "the checksum must lie inside the frame and the first varied field be 2 bytes wide")
            }
        }
        try BenchKnob.store(frame: frame, variation: variation, checksumOffset: checksumOffset ?? 0,
                            frameMap: frameMap, knobs: knobs, caller: "generator", role: "the generator")
        self.frame = frame
        let probe = try ProgramTestRun(fd: try object.programFD(named: BenchName.generator), frame: frame, iterations: 1,
                                       outputRoom: 0, subject: BenchName.generator)
        guard probe.verdict == .tx else {
            throw BPFError(call: "generator", subject: "frame of \(frame.count) bytes",
                           message: "the generator returned \(probe.verdict) for it: its settings do not fit the frame")
        }
    }

    /// The frame iteration `i` sends, as the generator writes it (one ordinary test run).
    public func frame(atIteration i: UInt64) throws -> [UInt8] {
        try requirePrepared()
        try iterations.update(UInt32(0), i)
        let run = try ProgramTestRun(fd: try object.programFD(named: BenchName.generator), frame: frame, iterations: 1,
                                     outputRoom: 0, subject: BenchName.generator)
        return run.output
    }

    /// Transmits exactly `count` frames out of `interface` (of the calling thread's network
    /// namespace), iterations numbered from `firstIteration`, `batchSize` frames per kernel
    /// batch. Returns the wall-clock nanoseconds the call took. The peer of a veth must have an
    /// XDP program (or GRO on) for the frames to be received.
    public func send(count: UInt32, interface: String, firstIteration: UInt64, batchSize: UInt32 = 64) throws -> UInt64 {
        try requirePrepared()
        guard count > 0 else { return 0 }
        try iterations.update(UInt32(0), firstIteration)
        return try ProgramTestRun.sendLive(fd: try object.programFD(named: BenchName.generator), frame: frame,
                                           count: count, interface: interface, batchSize: batchSize,
                                           subject: BenchName.generator)
    }

    private func requirePrepared() throws {
        guard !frame.isEmpty else {
            throw BPFError(call: "generator", subject: BenchName.generator, message: "no frame: call prepare(frame:variation:checksumOffset:) first")
        }
    }
}
