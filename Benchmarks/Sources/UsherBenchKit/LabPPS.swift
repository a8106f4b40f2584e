import Foundation
import UsherBPF
import UsherCore

/// Part 3: packets per second through the lab (PPSLab). Our XDP live-frames generator sends
/// `framesPerRun` TCP ACKs (established flows) of `flows` flows to a VIP; the balancer forwards them to three real
/// servers that count what arrives. The balancer is, in turn, Usher (usher_balance, dsr-l2),
/// the kernel with nftables DNAT (no XDP), and the floor reflector; each round runs all three,
/// each run after a warm-up that lets every flow be seen once (established flows are measured).
/// The balancer's receive thread is alone on the last CPU; the generator, the wire and the
/// receivers share the others.
public struct LabPPS {
    public var rounds = 5
    public var framesPerRun: UInt32 = 5_000_000
    public var flows: UInt32 = 65_536
    /// A run stops sending after this long even if its frames are not all sent.
    public var secondsPerRun: Double = 30
    public var tag: String?
    public var forwarders = LabPPSResult.Forwarder.allCases

    public init() {}

    public func run() throws -> LabPPSResult {
        try LabNftables.ensureInstalled()
        let cpus = LabCPU.online()
        guard let balancerCpu = cpus.last else { throw LabShell.Failure(description: "no CPU to run on") }
        let others = cpus.count > 1 ? Array(cpus.dropLast()) : cpus
        if cpus.count < 2 { Progress.say("lab-pps: one CPU only: the balancer shares it with the generator") }
        Progress.say("lab-pps: building the lab (balancer on CPU \(balancerCpu), the rest on \(others))")
        let lab = try PPSLab(tag: tag ?? PPSLab.newTag())
        defer { lab.remove() }
        let pins = BenchPins()
        defer { pins.remove() }
        let dataplane = try Dataplane(pinDirectory: pins.path)
        _ = try dataplane.apply(Self.config, previous: nil, resolver: NoNeighbors())

        let generator = try XDPLiveGenerator()
        let frame = LabFrames.segment(from: PPSLab.genMAC, to: PPSLab.lbMAC, source: PPSLab.client, 1024,
                                  destination: PPSLab.vip, PPSLab.port)
        try generator.prepare(frame: frame, variation: try FlowVariation.sourcePorts(of: frame, count: flows),
                              checksumOffset: LabFrames.checksumOffset)
        var runner = LabRunner(lab: lab, generator: generator, balancerCpu: balancerCpu, others: others,
                            deadline: secondsPerRun)
        var result = LabPPSResult(rounds: rounds, framesPerRun: framesPerRun, flows: flows,
                                  frame: "IPv4 TCP ACKs of 54 bytes (established flows), \(flows) flows (source ports)",
                                  balancerCpu: balancerCpu, otherCpus: others, pinning: [])
        var runs: [LabPPSResult.Forwarder: [LabPPSResult.Run]] = [:]
        for round in 0..<rounds {
            for forwarder in forwarders {
                Progress.say("lab-pps: round \(round + 1) of \(rounds): \(forwarder.rawValue)")
                let run = try withForwarder(forwarder, lab: lab, dataplane: dataplane) {
                    result.pinning = try runner.pin()
                    _ = try runner.measure(frames: min(framesPerRun, 2 * flows)) // warm-up: every flow seen
                    let before = forwarder == .usher ? try dataplane.readStats().global["tx"]?.packets ?? 0 : 0
                    var run = try runner.measure(frames: framesPerRun)
                    if forwarder == .usher {
                        run.dataplaneForwarded = (try dataplane.readStats().global["tx"]?.packets ?? 0) - before
                    }
                    return run
                }
                try check(run, forwarder)
                Progress.say(String(format: "lab-pps: %@: %.3f Mpps offered, %.3f Mpps forwarded, %.2f%% lost, CPU %d %.0f%% busy",
                                    forwarder.rawValue, run.offeredMpps, run.forwardedMpps, run.lossPercent, balancerCpu,
                                    run.balancerCpuBusyPercent ?? -1))
                runs[forwarder, default: []].append(run)
            }
        }
        result.rows = forwarders.compactMap { LabPPSResult.Row($0, runs: runs[$0] ?? []) }
        if let usher = runs[.usher], let nft = runs[.nftables] {
            result.ratioToNftables = Summary(zip(usher, nft).map { $0.forwardedMpps / max($1.forwardedMpps, 1e-9) })
            result.cpuRatioToNftables = Summary(zip(usher, nft).compactMap { u, n in
                guard let un = u.threadNsPerPacket, let nn = n.threadNsPerPacket, un > 0 else { return nil }
                return nn / un
            })
        }
        return result
    }

    /// The balancer's config for Usher: the VIP's TCP port to the three reals, by MAC.
    static var config: BalancerConfig {
        let reals = [1, 2, 3].map { RealServer(address: PPSLab.realAddress($0), mac: PPSLab.realMAC($0)) }
        return BalancerConfig(services: [VirtualService(name: "web", vip: PPSLab.vip, port: PPSLab.port, proto: .tcp,
                                                        mode: .dsrL2, reals: reals)])
    }

    /// Sets the balancer up as `forwarder`, runs `body`, and takes it down again whatever happens.
    private func withForwarder<T>(_ forwarder: LabPPSResult.Forwarder, lab: PPSLab, dataplane: Dataplane,
                                  _ body: () throws -> T) throws -> T {
        switch forwarder {
        case .usher:
            _ = try LabShell.inNamespace(lab.lb) { try dataplane.attach(interface: lab.lbPort, mode: .native, program: .balancer) }
            defer { _ = try? LabShell.inNamespace(lab.lb) { try dataplane.detach(interface: lab.lbPort, program: .balancer) } }
            return try body()
        case .floor:
            let floor = try LabShell.inNamespace(lab.lb) { try BenchAttachment(.floor, interface: lab.lbPort) }
            defer { _ = try? LabShell.inNamespace(lab.lb) { try floor.detach() } }
            return try body()
        case .nftables:
            let rules = LabNftables.ruleset(vip: "\(PPSLab.vip)", port: PPSLab.port,
                                            reals: lab.reals.map { "\(PPSLab.realAddress($0))" })
            try lab.exec(lab.lb, ["nft", "-f", "-"], input: rules)
            defer { _ = try? lab.exec(lab.lb, ["nft", "delete", "table", "ip", LabNftables.table]) }
            return try body()
        }
    }

    /// What every run must show: nothing counted that was not sent, and each forwarder's frames
    /// where they belong (Usher's spread over the reals, the floor's all at real1).
    private func check(_ run: LabPPSResult.Run, _ forwarder: LabPPSResult.Forwarder) throws {
        guard run.counted <= run.sent else {
            throw BenchCheckError(description: "lab-pps \(forwarder.rawValue): \(run.counted) frames counted for \(run.sent) sent")
        }
        guard run.counted > 0 else {
            throw BenchCheckError(description: "lab-pps \(forwarder.rawValue): no frame reached a real server (\(run.sent) sent)")
        }
        switch forwarder {
        case .usher, .nftables:
            let least = run.perReal.min() ?? 0
            guard Double(least) > Double(run.counted) / 3 * 0.5 else {
                throw BenchCheckError(description: "lab-pps \(forwarder.rawValue): the reals counted \(run.perReal): not balanced")
            }
        case .floor:
            guard run.perReal.dropFirst().allSatisfy({ $0 == 0 }) else {
                throw BenchCheckError(description: "lab-pps floor: reflected frames reached \(run.perReal), not real1 alone")
            }
        }
        if let forwarded = run.dataplaneForwarded, forwarded < run.counted {
            throw BenchCheckError(description: "lab-pps usher: the reals counted \(run.counted), Usher forwarded \(forwarded)")
        }
    }
}
