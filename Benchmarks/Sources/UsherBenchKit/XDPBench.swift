import CUsherABI
import CUsherBench
import Foundation
import UsherBPF

/// Runs XDP programs for the benchmark harness with BPF_PROG_TEST_RUN, each iteration on the
/// original frame: `usher_bench_wrap` (Benchmarks/BPF/usher_bench.c) puts the frame back and gives it the
/// iteration's flow, then tail-calls the program under test. The balancer is loaded against the
/// data plane's pinned maps (so `Dataplane.apply` configures it and `readStats` counts what it
/// did), optionally with a flow table of its own, so that the pinned one stays as it is.
public final class XDPBench {
    private let bench: BPFObject
    private let floorObject: BPFObject
    private let balancer: BPFObject
    private let privateFlowTable: [OwnedFD]
    private let privateNATTables: [OwnedFD]
    /// The balancer's program: usher_balance, or a flow-table candidate's.
    private let balancerProgram: String
    /// The flow-table candidate run in the balancer's place, else nil.
    let candidate: Candidate?
    /// The candidate's tables, in `Candidate.tables`' order; empty for the balancer.
    let candidateTables: [MapFD]
    /// The balancer's dsr flow table, mapped (its own when `privateFlows`).
    let flows: FlowTable
    /// The balancer's NAT tables, forward and reply (its own when `privateNAT`).
    let natFlows: MapFD, natReplies: MapFD
    private let knobs: MapFD
    private let frameMap: MapFD
    private let iterations: MapFD
    private let target: MapFD
    private let records: MapFD
    private let probed: MapFD
    private var frame: [UInt8] = []
    /// The flows the balancer's flow table is sized for (it has twice as many ways).
    public let conntrackCapacity = UInt32(USHER_CONNTRACK_DEFAULT_ENTRIES)

    /// Loads the wrapper, the floor and the balancer (against `dataplane`'s pinned maps; with a
    /// private flow table of the pinned one's size when `privateFlows`; with private NAT tables,
    /// forward and reply, of the pinned ones' size and flags when `privateNAT`). With a
    /// `candidate`, the balancer is that flow-table candidate program (Benchmarks/BPF), on the
    /// same pinned maps and a set-associative table of its own.
    public init(dataplane: Dataplane, privateFlows: Bool = false, privateNAT: Bool = false, candidate: Candidate? = nil) throws {
        bench = try BenchObject.open(BenchName.object, programs: [BenchName.wrap, BenchName.empty, BenchName.probe])
        try bench.load()
        floorObject = try BenchObject.open(BenchName.floorObject, programs: [BenchName.floor])
        try floorObject.load()
        self.candidate = candidate
        if let candidate {
            balancerProgram = candidate.program
            balancer = try BenchObject.open(candidate.object, programs: [candidate.program], pinRoot: dataplane.pinDirectory)
        } else {
            balancerProgram = ProgramName.balancer
            balancer = try dataplane.openProgramObject(ProgramName.balancer)
        }
        // Never pinned: the data plane's table stays as it is. Size and flags are the definition's.
        let object = balancer
        privateFlowTable = privateFlows ? try [MapName.flowSets, MapName.flowWays].map { try object.bindNewMap(named: $0) } : []
        if privateNAT {
            // Never pinned: the data plane's NAT tables (and the SNAT ports they hold) stay as
            // they are. Their size and flags are the definition's, which the pinned ones have.
            privateNATTables = try [MapName.natFlows, MapName.natReplies].map { try object.bindNewMap(named: $0) }
        } else {
            privateNATTables = []
        }
        try balancer.load()
        let loaded = balancer
        candidateTables = try (candidate?.tables ?? []).map { try loaded.mapFD(named: $0) }
        flows = try FlowTable(sets: balancer.mapFD(named: MapName.flowSets), ways: balancer.mapFD(named: MapName.flowWays))
        natFlows = try balancer.mapFD(named: MapName.natFlows)
        natReplies = try balancer.mapFD(named: MapName.natReplies)
        knobs = try bench.mapFD(named: BenchName.knobs)
        frameMap = try bench.mapFD(named: BenchName.frame)
        iterations = try bench.mapFD(named: BenchName.iterations)
        target = try bench.mapFD(named: BenchName.target)
        records = try bench.mapFD(named: BenchName.records)
        probed = try bench.mapFD(named: BenchName.probed)
    }

    /// Sets the frame every iteration starts from and how iterations vary its flow.
    public func prepare(frame: [UInt8], variation: FlowVariation = .none) throws {
        try BenchKnob.store(frame: frame, variation: variation, frameMap: frameMap, knobs: knobs,
                            caller: "bench", role: "the wrapper")
        self.frame = frame
    }

    /// Runs `repeat` iterations of the wrapper with `program` under test, the iteration counter
    /// starting at `firstIteration`. The verdict and output are the last iteration's.
    public func run(_ program: BenchTarget, repeat count: UInt32, firstIteration: UInt64 = 0) throws -> BenchRun {
        guard !frame.isEmpty else {
            throw BPFError(call: "bench", subject: "wrapper", message: "no frame: call prepare(frame:variation:) first")
        }
        try target.update(UInt32(0), try programFD(program))
        try iterations.update(UInt32(0), firstIteration)
        if program == .probe { try probed.update(UInt32(0), UInt64(0)) }
        return try testRun(fd: try bench.programFD(named: BenchName.wrap), input: frame, repeat: count, subject: BenchName.wrap)
    }

    /// Runs `program` alone with a plain `repeat`: iterations after the first see the frame as
    /// the previous one left it. Kept to show (and test) why the wrapper exists.
    public func runUnwrapped(_ program: BenchTarget, frame input: [UInt8], repeat count: UInt32) throws -> BenchRun {
        if program == .probe { try probed.update(UInt32(0), UInt64(0)) }
        return try testRun(fd: try programFD(program), input: input, repeat: count, subject: program.rawValue)
    }

    /// The frames the probe recorded for its first `count` iterations (at most 1024, each cut
    /// to 128 bytes).
    public func probeRecords(_ count: Int) throws -> [[UInt8]] {
        try (0..<UInt32(min(count, Int(USHER_BENCH_PROBE_SLOTS)))).map { slot in
            guard let record: usher_bench_record = try records.lookup(slot) else {
                throw BPFError(call: "bpf_map_lookup_elem", subject: "map \(BenchName.records)", errno: ENOENT,
                               message: "the probe's slot \(slot) is missing")
            }
            let length = min(Int(record.len), Int(USHER_BENCH_PROBE_BYTES))
            return withUnsafeBytes(of: record.bytes) { Array($0.prefix(length)) }
        }
    }

    /// Writes `count` established flows into the balancer's flow table: those of
    /// `frame` varied by `variation` for flow indices firstIndex..<firstIndex+count, spread over `realIDs` (members of
    /// service `serviceID`), as if each had been seen just now.
    public func trackFlows(of frame: [UInt8], variation: FlowVariation, count: UInt32,
                           serviceID: UInt32, realIDs: [UInt32], firstIndex: UInt32 = 0) throws {
        guard !realIDs.isEmpty else {
            throw BPFError(call: "bench", subject: "service id \(serviceID)", message: "no real to track flows to")
        }
        let layout = try FrameLayout(frame)
        let seen = Dataplane.monotonicNanoseconds()
        for idx in firstIndex..<firstIndex + count {
            flows.update(layout.flowKey(of: variation.apply(to: frame, index: idx)),
                         usher_flow(real_id: realIDs[Int(idx) % realIDs.count], service_id: serviceID, last_seen_ns: seen))
        }
    }

    // MARK: Pieces

    private func programFD(_ program: BenchTarget) throws -> Int32 {
        switch program {
        case .balancer: return try balancer.programFD(named: balancerProgram)
        case .floor: return try floorObject.programFD(named: BenchName.floor)
        case .empty: return try bench.programFD(named: BenchName.empty)
        case .probe: return try bench.programFD(named: BenchName.probe)
        }
    }

    private func testRun(fd: Int32, input frame: [UInt8], repeat count: UInt32, subject: String) throws -> BenchRun {
        let iterations = UInt32(max(count, 1))
        let run = try ProgramTestRun(fd: fd, frame: frame, iterations: iterations, outputRoom: 512, subject: subject)
        return BenchRun(verdict: run.verdict, output: run.output, iterations: iterations,
                        kernelNanoseconds: run.kernelNanoseconds, wallNanosecondsPerIteration: run.wallNanosecondsPerIteration)
    }
}

extension XDPBench {
    /// A flow-table candidate of issue 10 (Benchmarks/BPF), run in usher_balance's place: its dsr
    /// path with another layout of the flow table than the data plane's 16 tagged ways.
    public enum Candidate: Sendable {
        /// usher_cand_sa: 4 ways of one cache line per set, the key in the way, no tag line.
        case fourWay

        var object: String { BenchName.setAssociativeObject }
        var program: String { BenchName.setAssociative }
        /// Its name in the report.
        public var name: String { "4-way set-associative" }
        /// Its maps: the sets.
        var tables: [String] { [BenchName.setAssociativeTable] }
    }
}
