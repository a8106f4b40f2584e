import Foundation
import UsherBPF
import UsherCore

/// Part `cluster`: packets per second of an active/active cluster of 1, 2 and 3 balancers behind
/// an ECMP router (ClusterPPSLab). Our XDP live-frames generator sends `framesPerRun` TCP ACKs (established flows) of
/// `flows` flows to the router, which spreads them over the balancers in its route by their
/// ports; each balancer (usher_balance, dsr-l2) forwards its share to three reals that count what
/// arrives. Each balancer's share is read from its own data plane's counters. Each round runs
/// the three sizes in turn, each run after a warm-up in which every flow is seen once.
///
/// CPUs: the balancers' receive threads get the last CPUs, one each while there are CPUs to
/// spare (at most three), the traffic's other work (generator, router, switches, receivers) the
/// CPUs left. With fewer CPUs than that the balancers share theirs, and each then gets a CPU of
/// its own in another way: a quota (`CPUQuota`) of `budgetPercent` of its CPU, so that N
/// balancers have N equal CPUs, each smaller than a core; the same sizes are then also run
/// without quotas, the balancers sharing their CPU whole. The report says how it went.
public struct ClusterPPS {
    public var rounds = 3
    public var framesPerRun: UInt32 = 2_000_000
    public var flows: UInt32 = 65_536
    /// A run stops sending after this long even if its frames are not all sent.
    public var secondsPerRun: Double = 20
    public var tag: String?
    public var sizes = [1, 2, 3]
    /// Each balancer's share of its CPU when the balancers must share one (percent); nil: the
    /// default when they must share (`defaultBudgetPercent`), none when each has a core.
    public var budgetPercent: Double?
    /// Small enough that three balancers together forward less than the traffic's CPU can
    /// offer here (about 0.75 Mpps, at 700–900 ns per packet of a balancer's thread), so that
    /// the balancers, not the traffic, set the figure.
    public static let defaultBudgetPercent = 12.0

    public init() {}

    /// Which CPUs do what: the traffic source's, and each balancer's (balancers 1, 2, 3).
    public static func plan(_ cpus: [Int], balancers: Int) -> (source: [Int], balancers: [Int]) {
        guard cpus.count > 1 else { return (cpus, Array(repeating: cpus.first ?? 0, count: balancers)) }
        let pool = Array(cpus.suffix(min(balancers, cpus.count - 1)))
        let source = Array(cpus.prefix(cpus.count - pool.count))
        return (source, (0..<balancers).map { pool[$0 % pool.count] })
    }

    public func run() throws -> ClusterPPSResult {
        let cpus = LabCPU.online()
        let lab = try ClusterPPSLab(tag: tag ?? PPSLab.newTag())
        defer { lab.remove() }
        let (sourceCpus, balancerCpus) = Self.plan(cpus, balancers: lab.balancers.count)
        let shared = Set(balancerCpus).count < balancerCpus.count
        let budget = budgetPercent ?? (shared ? Self.defaultBudgetPercent : nil)
        Progress.say("cluster: \(cpus.count) CPUs: balancers on \(balancerCpus)"
            + (budget.map { String(format: ", each held to %.0f%% of its CPU", $0) } ?? "")
            + ", router, generator and receivers on \(sourceCpus)")
        let pins = lab.balancers.map { _ in BenchPins() }
        defer { pins.forEach { $0.remove() } }
        let dataplanes = try lab.balancers.map { i in
            let dataplane = try Dataplane(pinDirectory: pins[i - 1].path)
            _ = try dataplane.apply(Self.config, previous: nil, resolver: NoNeighbors())
            _ = try LabShell.inNamespace(lab.balancer(i)) {
                try dataplane.attach(interface: lab.balancerPort(i), mode: .native, program: .balancer)
            }
            return dataplane
        }
        let generator = try XDPLiveGenerator()
        let frame = LabFrames.segment(from: ClusterPPSLab.genMAC, to: ClusterPPSLab.routerInMAC, source: ClusterPPSLab.client, 1024,
                                  destination: ClusterPPSLab.vip, ClusterPPSLab.port)
        try generator.prepare(frame: frame, variation: try FlowVariation.sourcePorts(of: frame, count: flows),
                              checksumOffset: LabFrames.checksumOffset)
        var result = ClusterPPSResult(rounds: rounds, framesPerRun: framesPerRun, flows: flows,
                                      frame: "IPv4 TCP ACKs of 54 bytes (established flows), \(flows) flows (source ports)", cpus: cpus,
                                      sourceCpus: sourceCpus, balancerCpus: balancerCpus, pinning: [], budgetPercent: budget)
        // With quotas, the same sizes also run without them (nil): the balancers sharing their CPU whole.
        let modes: [Double?] = budget == nil ? [nil] : [budget, nil]
        var quotas: [CPUQuota] = []
        defer { quotas.forEach { $0.remove() } }
        var iteration: UInt64 = 0
        var runs: [Int: [ClusterPPSResult.Run]] = [:], sharedRuns: [Int: [ClusterPPSResult.Run]] = [:]
        for round in 0..<rounds {
            for mode in modes {
                quotas.forEach { $0.remove() }
                quotas = try mode.map { percent in
                    try lab.balancers.map { try CPUQuota(name: "usher-bench-\(lab.tag)-lb\($0)", percent: percent) }
                } ?? []
                if let quota = quotas.first { result.budgetScheduler = quota.scheduler }
                let pinning = try pin(lab, sourceCpus: sourceCpus, balancerCpus: balancerCpus, quotas: quotas)
                if mode == budget { result.pinning = pinning } else { result.sharedPinning = pinning }
                for size in sizes {
                    let how = mode.map { String(format: ", each on %.0f%% of its CPU", $0) } ?? (budget == nil ? "" : ", sharing their CPU")
                    Progress.say("cluster: round \(round + 1) of \(rounds): \(size) balancer(s)\(how)")
                    try lab.route(toBalancers: size)
                    func measure(_ frames: UInt32) throws -> ClusterPPSResult.Run {
                        try self.measure(lab, dataplanes, generator, size: size, frames: frames, cpus: cpus,
                                         sourceCpus: sourceCpus, iteration: &iteration)
                    }
                    _ = try measure(min(framesPerRun, 2 * flows)) // warm-up: every flow seen by its balancer
                    let run = try measure(framesPerRun)
                    try check(run)
                    Progress.say(String(format: "cluster: %d balancer(s): %.3f Mpps offered, %.3f Mpps forwarded, shares %@",
                                        size, run.offeredMpps, run.forwardedMpps,
                                        run.perBalancer.map(String.init).joined(separator: "/")))
                    if mode == budget { runs[size, default: []].append(run) } else { sharedRuns[size, default: []].append(run) }
                }
            }
        }
        result.rows = Self.rows(runs, sizes: sizes)
        if budget != nil { result.sharedRows = Self.rows(sharedRuns, sizes: sizes) }
        return result
    }

    /// Each size's runs summarized, with its figure over the one-balancer run of the same round.
    static func rows(_ runs: [Int: [ClusterPPSResult.Run]], sizes: [Int]) -> [ClusterPPSResult.Row] {
        let base = runs[1] ?? []
        return sizes.compactMap { size in
            let mine = runs[size] ?? []
            let scaling = Summary(zip(mine, base).map { $0.forwardedMpps / max($1.forwardedMpps, 1e-9) })
            return ClusterPPSResult.Row(balancers: size, runs: mine, scaling: scaling)
        }
    }

    /// Each balancer's config: the VIP's TCP port to the three reals, by MAC (dsr-l2).
    static var config: BalancerConfig {
        let reals = [1, 2, 3].map { RealServer(address: ClusterPPSLab.realAddress($0), mac: ClusterPPSLab.realMAC($0)) }
        return BalancerConfig(services: [VirtualService(name: "web", vip: ClusterPPSLab.vip, port: ClusterPPSLab.port,
                                                        proto: .tcp, mode: .dsrL2, reals: reals)])
    }

    /// Pins each balancer's receive thread to its CPU and the router's, the switches' and the
    /// receivers' threads to the source CPUs (SCHED_FIFO 40, above the generator). A balancer's
    /// thread runs SCHED_FIFO 50 (whenever it has frames); given `quotas` (one per balancer), in
    /// its quota's group, under the scheduler that quota holds (`CPUQuota.Scheduler`). Returns
    /// what was found, for the report.
    private func pin(_ lab: ClusterPPSLab, sourceCpus: [Int], balancerCpus: [Int], quotas: [CPUQuota]) throws -> [String] {
        var notes: [String] = []
        for i in lab.balancers {
            let port = lab.balancerPort(i)
            guard !quotas.isEmpty else {
                let pid = try LabShell.pinReceiveThread(of: port, to: [balancerCpus[i - 1]], priority: 50)
                notes.append("balancer \(i)'s receive thread napi/\(port) on CPUs \(LabShell.affinity(pid: pid)), SCHED_FIFO 50")
                continue
            }
            let quota = quotas[i - 1]
            let realtime = quota.scheduler == .realtime
            let pid = try LabShell.pinReceiveThread(of: port, to: [balancerCpus[i - 1]], priority: realtime ? 50 : nil)
            try quota.add(pid: pid)
            notes.append(String(format: "balancer %d's receive thread napi/%@ on CPUs %@, %@, held to %.0f%% of its CPU (group %@, %@)",
                                i, port, "\(LabShell.affinity(pid: pid))", realtime ? "SCHED_FIFO 50" : "SCHED_OTHER", quota.percent,
                                quota.path, realtime ? "cpu.rt_runtime_us" : "CFS quota"))
        }
        for port in lab.sourcePorts { try LabShell.pinReceiveThread(of: port, to: sourceCpus, priority: 40) }
        notes.append("the router's, the switches' and the receivers' threads (\(lab.sourcePorts.count)) on CPUs \(sourceCpus), SCHED_FIFO 40")
        notes.append("generator thread on CPUs \(sourceCpus), SCHED_OTHER (the receive threads preempt it)")
        return notes
    }

    /// Sends `frames` frames (fewer if the deadline passes) with `size` balancers in the route
    /// and measures the reals' counts, the balancers' counters and the threads' CPU time.
    private func measure(_ lab: ClusterPPSLab, _ dataplanes: [Dataplane], _ generator: XDPLiveGenerator, size: Int,
                         frames: UInt32, cpus: [Int], sourceCpus: [Int], iteration: inout UInt64) throws -> ClusterPPSResult.Run {
        let arrivals = { try lab.counters.map { try $0.arrived().packets } }
        let forwarded = { try dataplanes.map { try $0.readStats().global["tx"]?.packets ?? 0 } }
        let threads = lab.balancers.map { LabCPU.napiThread(of: lab.balancerPort($0)) }
        let router = LabCPU.napiThread(of: lab.routerInPort)
        let countedBefore = try arrivals(), forwardedBefore = try forwarded()
        let threadsBefore = threads.map { $0.flatMap(LabCPU.taskNanoseconds) }
        let routerBefore = router.flatMap(LabCPU.taskNanoseconds)
        let ticksBefore = cpus.map(LabCPU.ticks)
        let (sent, ns) = try LabRunner.send(generator, frames: frames, from: lab.gen, port: lab.genPort, cpus: sourceCpus,
                                            deadline: secondsPerRun, iteration: &iteration)
        let ticksAfter = cpus.map(LabCPU.ticks)
        let threadsAfter = threads.map { $0.flatMap(LabCPU.taskNanoseconds) }
        let routerAfter = router.flatMap(LabCPU.taskNanoseconds)
        let counted = try LabRunner.settled(arrivals)
        let perBalancer = zip(try forwarded(), forwardedBefore).map { $0 - $1 }
        let busy = zip(ticksBefore, ticksAfter).map { LabCPU.busyPercent($0, $1) }
        let source = zip(cpus, busy).compactMap { cpu, busy in sourceCpus.contains(cpu) ? busy : nil }
        func seconds(_ before: UInt64?, _ after: UInt64?) -> Double? {
            guard let before, let after, after >= before else { return nil }
            return Double(after - before) / 1e9
        }
        return ClusterPPSResult.Run(balancers: size, sent: sent, counted: zip(counted, countedBefore).map { $0 - $1 }.reduce(0, +),
                                    perBalancer: perBalancer, seconds: Double(ns) / 1e9,
                                    balancerThreadSeconds: zip(threadsBefore, threadsAfter).map { seconds($0, $1) },
                                    routerThreadSeconds: seconds(routerBefore, routerAfter),
                                    cpuBusyPercent: busy, sourceCpuBusyPercent: source.isEmpty ? nil : source.reduce(0, +) / Double(source.count))
    }

    /// What every run must show: nothing counted that was not sent, frames at the reals, the
    /// balancers in the route sharing the flows (each at least half an even share), the others
    /// forwarding nothing, and the balancers' own counters covering what the reals counted.
    private func check(_ run: ClusterPPSResult.Run) throws {
        let label = "cluster with \(run.balancers) balancer(s)"
        guard run.counted <= run.sent else {
            throw BenchCheckError(description: "\(label): \(run.counted) frames counted for \(run.sent) sent")
        }
        guard run.counted > 0 else {
            throw BenchCheckError(description: "\(label): no frame reached a real server (\(run.sent) sent)")
        }
        guard run.evenness > 0.5 else {
            throw BenchCheckError(description: "\(label): the balancers forwarded \(run.perBalancer): ECMP did not spread the flows")
        }
        guard run.perBalancer.dropFirst(run.balancers).allSatisfy({ $0 == 0 }) else {
            throw BenchCheckError(description: "\(label): a balancer outside the route forwarded frames: \(run.perBalancer)")
        }
        guard run.perBalancer.reduce(0, +) >= run.counted else {
            throw BenchCheckError(description: "\(label): the reals counted \(run.counted), the balancers forwarded \(run.perBalancer)")
        }
    }
}
