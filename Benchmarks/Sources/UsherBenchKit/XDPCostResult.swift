import UsherBPF

/// What part 1 measured, per path: nanoseconds per packet net of the wrapper (median, min–max
/// over rounds), and the ratio to the floor program of the same IP family in the same round.
public struct XDPCostResult: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public var id: String
        public var title: String
        public var path: XDPCostCase.Path
        public var family: Int
        public var verdict: String
        public var reason: String?
        public var event: String?
        /// ns per packet: the program's own cost plus the test-run loop's entry cost (`loopNs`),
        /// what BPF_PROG_TEST_RUN reports when every iteration gets the original frame.
        public var ns: Summary
        /// The program's own cost: wrapper with it minus wrapper with the empty program.
        public var ownNs: Summary
        /// The wrapper's own cost on this case's frame (subtracted).
        public var wrapperNs: Summary
        /// ns / the floor's ns (same IP family, same round).
        public var ratioToFloor: Summary?
        /// ownNs / the floor's ownNs: the ratio of the programs' own work alone.
        public var ownRatioToFloor: Summary?
        /// A flow-table candidate measured to choose a design (no target); nil otherwise.
        public var candidate: Bool? = nil
    }

    /// A target of the issue, met or missed.
    public struct Target: Codable, Sendable {
        public var what: String
        public var caseName: String
        public var limit: Double
        public var ratio: Double
        public var met: Bool
    }

    /// One kernel symbol of a profile.
    public struct Symbol: Codable, Sendable {
        public var name: String
        public var percent: Double
        /// Part of the measuring harness (wrapper, test-run loop), not of the program under test.
        public var harness: Bool
    }

    /// The profile of one path (perf, cpu-clock).
    public struct PathProfile: Codable, Sendable {
        public var caseName: String
        public var symbols: [Symbol]
    }

    public var rounds: Int
    public var iterations: UInt32
    /// Where the time goes on the paths that miss their target (empty without perf).
    public var profiles: [PathProfile] = []
    /// Iterations of the first-packet runs (each inserts that many flows).
    public var newFlowIterations: UInt32
    /// ns per iteration of BPF_PROG_TEST_RUN's own loop with an empty program: the fixed entry
    /// cost every packet pays in this harness, added to each program's own cost.
    public var loopNs: Summary?
    public var rows: [Row]
    public var pending: [PendingCase]
    public var targets: [Target]
    /// Established flows kept through a flood of spoofed SYNs (XDPCostFlood.swift).
    public var synFlood: SYNFlood?

    init(rounds: Int, iterations: UInt32, newFlowIterations: UInt32, cases: [XDPCostCase], samples: XDPCostSamples) {
        self.rounds = rounds
        self.iterations = iterations
        self.newFlowIterations = newFlowIterations
        loopNs = Summary(samples.loop)
        var rows: [Row] = []
        for c in cases {
            let own = samples.own(c.id)
            let perPacket = zip(own, samples.loop).map { $0 + $1 }
            let floor = zip(samples.own("floor-v\(c.family)"), samples.loop).map { $0 + $1 }
            let ratios = c.path == .floor || floor.isEmpty ? [] : zip(perPacket, floor).map { $0 / Swift.max($1, 0.5) }
            let ownFloor = samples.own("floor-v\(c.family)")
            let ownRatios = c.path == .floor || ownFloor.isEmpty ? [] : zip(own, ownFloor).map { $0 / Swift.max($1, 0.5) }
            guard let summary = Summary(perPacket), let ownSummary = Summary(own),
                  let wrapper = Summary(samples.wrapper[c.id] ?? []) else { continue }
            rows.append(Row(id: c.id, title: c.title, path: c.path, family: c.family, verdict: c.verdict.name,
                            reason: c.reason, event: c.event, ns: summary, ownNs: ownSummary, wrapperNs: wrapper,
                            ratioToFloor: Summary(ratios), ownRatioToFloor: Summary(ownRatios), candidate: c.candidate ? true : nil))
        }
        self.rows = rows
        pending = XDPCostCases.pending
        let limits: [(XDPCostCase.Path, String, Double)] = [
            (.established, "established flow in a DSR mode", 2.5), (.drained, "established flow in a DSR mode", 2.5),
            (.nonVIP, "non-VIP packet", 1.5), (.firstPacket, "first packet of a flow", 6),
            (.natFirstPacket, "first packet of a nat or gateway flow", 12),
        ]
        let candidates = Set(cases.filter(\.candidate).map(\.id))
        targets = rows.compactMap { row in
            guard !candidates.contains(row.id), let (_, what, limit) = limits.first(where: { $0.0 == row.path }), let ratio = row.ratioToFloor?.median else { return nil }
            return Target(what: what, caseName: row.id, limit: limit, ratio: ratio, met: ratio <= limit)
        }
    }
}

/// Kernel-timed samples of part 1, round by round.
struct XDPCostSamples {
    var loop: [Double] = []
    var raw: [String: [Double]] = [:]
    var wrapper: [String: [Double]] = [:]

    mutating func add(_ id: String, run: BenchRun, wrapper empty: BenchRun) {
        raw[id, default: []].append(Double(run.kernelNanoseconds))
        wrapper[id, default: []].append(Double(empty.kernelNanoseconds))
    }

    /// The program's own cost per round: the wrapped run minus the wrapper alone.
    func own(_ id: String) -> [Double] {
        zip(raw[id] ?? [], wrapper[id] ?? []).map { $0 - $1 }
    }
}
