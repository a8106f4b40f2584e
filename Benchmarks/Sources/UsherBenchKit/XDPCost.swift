import Foundation
import CUsherABI
import UsherBPF
import UsherCore

/// Part 1: the cost per packet of every path of usher_balance, and of the floor program, in the
/// same run. Each measured run is `iterations` iterations of the wrapper with the program under
/// test, minus a run of the wrapper alone on the same frame; both are repeated `rounds` times,
/// the cases interleaved so that a noisy moment hits them all alike.
public struct XDPCost {
    public var rounds = 9
    public var iterations: UInt32 = 300_000
    public var cases = XDPCostCases.cases
    /// Profile the paths that miss their target with perf (when installed).
    public var profile = true

    public init(rounds: Int = 9, iterations: UInt32 = 300_000) {
        self.rounds = rounds
        self.iterations = iterations
    }

    public func run() throws -> XDPCostResult {
        let pins = BenchPins()
        defer { pins.remove() }
        let dataplane = try Dataplane(pinDirectory: pins.path)
        let state = try dataplane.apply(XDPCostCases.config, previous: nil, resolver: NoNeighbors())
        let bench = try XDPBench(dataplane: dataplane)
        let tables = try privateTables(bench: bench, dataplane: dataplane, state: state)
        func on(_ c: XDPCostCase) -> XDPBench { c.table.flatMap { tables[$0] } ?? bench }
        let cases = try self.cases.map { try setUp($0, bench: on($0), dataplane: dataplane, state: state) }

        // First packets insert flows: few enough that no table fills (part 2 measures a full
        // table), and never the same twice; nat ones reserve SNAT ports, few enough that the
        // pool's share of the CPU stays mostly free. A dsr SYN inserts nothing (conntrack.h),
        // so it takes no share of a table, nor does a nat or gateway flow (its own tables).
        let inserting = cases.filter { $0.flow == .newEveryIteration && !$0.isBareSYN && $0.path == .firstPacket }
        let firstPackets = Dictionary(grouping: inserting, by: \.table).values.map(\.count).max() ?? 1
        let newFlowIterations = min(iterations, UInt32(Double(bench.conntrackCapacity) * 0.8) / UInt32(rounds * max(firstPackets, 1)),
                                    XDPCostCases.natFlowsPerRound(rounds: rounds, cpus: XDPCostCases.possibleCPUs()))
        var samples = XDPCostSamples()
        for round in 0..<rounds {
            Progress.say("xdp-cost: round \(round + 1) of \(rounds) (\(cases.count) paths × \(iterations) packets)")
            let loop = try bench.runUnwrapped(.empty, frame: cases[0].frame, repeat: iterations)
            samples.loop.append(Double(loop.kernelNanoseconds))
            for c in cases {
                let n = c.flow == .newEveryIteration ? newFlowIterations : iterations
                let (run, empty) = try measure(c, bench: on(c), dataplane: dataplane, iterations: n, first: UInt64(round) * UInt64(n))
                samples.add(c.id, run: run, wrapper: empty)
            }
        }
        var result = XDPCostResult(rounds: rounds, iterations: iterations, newFlowIterations: newFlowIterations,
                                   cases: cases, samples: samples)
        result.synFlood = try SYNFlood.run(dataplane: dataplane, state: state, established: 100_000, sources: 1_000_000)
        if profile, Profile.perf != nil {
            // One path of each kind that misses its target (IPv4, dsr-l2).
            let missed = Set(result.targets.filter { !$0.met }.map(\.caseName))
            for id in ["non-vip-v4", "established-dsr-l2-v4", "first-dsr-l2-v4"] where missed.contains(id) {
                guard let c = cases.first(where: { $0.id == id }) else { continue }
                Progress.say("xdp-cost: profiling \(id) with perf")
                let variation = try c.variation()
                try bench.prepare(frame: c.frame, variation: variation)
                var first = UInt64(rounds) * UInt64(iterations) + 1 << 20
                let symbols = try Profile().symbols {
                    _ = try bench.run(c.target, repeat: c.flow == .newEveryIteration ? 20000 : 200_000, firstIteration: first)
                    first += 200_000
                }
                result.profiles.append(.init(caseName: id, symbols: symbols))
            }
        }
        return result
    }

    /// A balancer with a private flow table of the data plane's size for every table the cases
    /// name (the 4-way candidate's own), or private NAT tables, each in the long-running state
    /// when its state says so (XDPBench.fillFlowTable, fillSetAssociative, ageNAT).
    func privateTables(bench: XDPBench, dataplane: Dataplane, state: DataplaneState) throws -> [XDPCostCase.Table: XDPBench] {
        var out: [XDPCostCase.Table: XDPBench] = [:]
        for table in cases.compactMap(\.table) where out[table] == nil {
            if table.nat == true {
                let natBench = try XDPBench(dataplane: dataplane, privateNAT: true)
                if table.state == .aged {
                    Progress.say("xdp-cost: ageing private NAT tables (each filled to capacity from every CPU, then emptied)")
                    let held = try natBench.ageNAT()
                    try Self.checkAged(held.flows, "the NAT table")
                    try Self.checkAged(held.replies, "the reply table")
                }
                out[table] = natBench
                continue
            }
            if let kind = table.kind.candidate {
                let candidate = try XDPBench(dataplane: dataplane, candidate: kind)
                if table.state == .aged {
                    Progress.say("xdp-cost: filling the \(table.kind.rawValue) candidate's table (every way of every set)")
                    let written = try candidate.fillSetAssociative()
                    let held = try candidate.setAssociativeHeld()
                    guard held == written else {
                        throw BenchCheckError(description: "xdp-cost: the \(table.kind.rawValue) table holds \(held) flows after \(written) were written, not full")
                    }
                }
                out[table] = candidate
                continue
            }
            let tableBench = try XDPBench(dataplane: dataplane, privateFlows: true)
            if table.state == .aged {
                Progress.say("xdp-cost: filling a private flow table (every way of every set)")
                let written = tableBench.fillFlowTable()
                let held = tableBench.flows.occupiedWays()
                guard held == written else {
                    throw BenchCheckError(description: "xdp-cost: the private flow table holds \(held) flows after \(written) were written, not full")
                }
            }
            out[table] = tableBench
        }
        return out
    }

    /// Refuses an aged NAT table that was not full before it was emptied: its first packets
    /// would be a fresh table's, reported as an aged one's. A common LRU may keep a few entries
    /// per CPU on that CPU's free list: 1% is left for them.
    static func checkAged(_ held: Int, _ table: String, capacity: Int = Int(USHER_NAT_DEFAULT_ENTRIES)) throws {
        guard held >= capacity - capacity / 100 else {
            throw BenchCheckError(description: "xdp-cost: ageing left \(table) at \(held) of \(capacity) entries before emptying it, not full")
        }
    }

    /// One measured run of case `c` (checked) and the run of the wrapper alone before it.
    func measure(_ c: XDPCostCase, bench: XDPBench, dataplane: Dataplane, iterations: UInt32, first: UInt64) throws -> (BenchRun, BenchRun) {
        let variation = try c.variation()
        try bench.prepare(frame: c.frame, variation: variation)
        let empty = try bench.run(.empty, repeat: iterations, firstIteration: first)
        let counts = c.target == .balancer
        let before = counts ? try dataplane.readStats() : nil
        let run = try bench.run(c.target, repeat: iterations, firstIteration: first)
        let after = counts ? try dataplane.readStats() : nil
        // What one packet of the last iteration's flow gives, run alone.
        let last = variation.apply(to: c.frame, iteration: first + UInt64(iterations) - 1)
        let alone = try bench.runUnwrapped(c.target, frame: last, repeat: 1)
        try RunCheck.verify(run, subject: c.id, verdict: c.verdict, output: alone.output, before: before, after: after,
                            reason: c.reason, event: c.event)
        if let mac = c.destinationMAC, Array(run.output.prefix(6)) != mac.bytes {
            throw BenchCheckError(description: "\(c.id): the frame went to \(MACAddress(bytes: Array(run.output.prefix(6)))!), not \(mac)")
        }
        if let expected = c.delivers {
            let got = BenchFrames.endpoints(of: run.output)
            guard got == expected, BenchFrames.checksumsValid(run.output) else {
                throw BenchCheckError(description: "\(c.id): the last frame is \(got.map { "\($0)" } ?? "no TCP segment")" +
                    "\(BenchFrames.checksumsValid(run.output) ? "" : " with a wrong checksum"), not \(expected)")
            }
        }
        return (run, empty)
    }

    /// Prepares case `c` (a flow tracked, a NAT flow started) and returns it as it is measured.
    func setUp(_ c: XDPCostCase, bench: XDPBench, dataplane: Dataplane, state: DataplaneState) throws -> XDPCostCase {
        switch c.setup {
        case .none:
            break
        case .warm:
            _ = try bench.runUnwrapped(c.target, frame: c.frame, repeat: 1)
        case .replyToForward:
            let sent = try bench.runUnwrapped(c.target, frame: c.frame, repeat: 1)
            guard sent.verdict == .tx, let reply = BenchFrames.reply(to: sent.output) else {
                throw BenchCheckError(description: "\(c.id): the client's packet that starts the flow gave \(sent.verdict) " +
                    "and a frame of \(sent.output.count) bytes, not a TCP segment sent to a real")
            }
            var measured = c
            measured.frame = reply
            return measured
        case let .trackOn(service, real):
            guard let serviceID = state.serviceIDs[service], let realID = state.realID(service: service, address: real) else {
                throw BenchCheckError(description: "\(c.id): \(real) is not a real of \(service) in the applied config")
            }
            try bench.trackFlows(of: c.frame, variation: .none, count: 1, serviceID: serviceID, realIDs: [realID])
        }
        return c
    }
}

/// Next hops for configs that give every real its MAC: never asked.
struct NoNeighbors: NeighborResolving, Sendable {
    func nextHop(for address: IPAddress) throws -> NextHop {
        throw BPFError(call: "bench", subject: "real \(address)", message: "the benchmark configs give every real its mac")
    }
}
