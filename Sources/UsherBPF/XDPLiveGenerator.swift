import CLibBPF
import CUsherABI
import Foundation

/// The lab's traffic generator: `usher_bench_gen` (BPF/usher_bench.c) run by BPF_PROG_TEST_RUN
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
        object = try BPFObject(embedded: BenchName.object, pinRoot: nil, programs: [BenchName.generator])
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
        let ifindex = if_nametoindex(interface)
        guard ifindex != 0 else {
            throw BPFError(call: "if_nametoindex", subject: "interface \(interface)", errno: ENODEV,
                           message: "there is no such interface in this thread's network namespace")
        }
        try iterations.update(UInt32(0), firstIteration)
        var ctx = xdp_md()
        ctx.data_end = UInt32(frame.count)
        ctx.ingress_ifindex = ifindex
        var input = frame
        let fd = try object.programFD(named: BenchName.generator)
        var start = timespec(), end = timespec()
        let (result, code) = withLibbpfOptions(bpf_test_run_opts.self) { opts in
            opts.pointee.repeat = Int32(clamping: count)
            opts.pointee.flags = UInt32(BPF_F_TEST_XDP_LIVE_FRAMES)
            opts.pointee.batch_size = batchSize
            let r = input.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &ctx) { ctxPointer in
                    opts.pointee.data_in = UnsafeRawPointer(bytes.baseAddress)
                    opts.pointee.data_size_in = UInt32(bytes.count)
                    opts.pointee.ctx_in = UnsafeRawPointer(ctxPointer)
                    opts.pointee.ctx_size_in = UInt32(MemoryLayout<xdp_md>.size)
                    clock_gettime(CLOCK_MONOTONIC, &start)
                    let r = bpf_prog_test_run_opts(fd, opts)
                    clock_gettime(CLOCK_MONOTONIC, &end)
                    return r
                }
            }
            return (r, errno)
        }
        guard result == 0 else {
            throw BPFError.call("bpf_prog_test_run_opts", on: "program \(BenchName.generator) (live frames out of \(interface))",
                                errno: result < 0 ? -result : code,
                                hint: "live frames need kernel 5.18 or later and an interface that can transmit XDP frames")
        }
        let ns = (Int64(end.tv_sec) - Int64(start.tv_sec)) * 1_000_000_000 + Int64(end.tv_nsec) - Int64(start.tv_nsec)
        return UInt64(max(ns, 0))
    }

    private func requirePrepared() throws {
        guard !frame.isEmpty else {
            throw BPFError(call: "generator", subject: BenchName.generator, message: "no frame: call prepare(frame:variation:checksumOffset:) first")
        }
    }
}
