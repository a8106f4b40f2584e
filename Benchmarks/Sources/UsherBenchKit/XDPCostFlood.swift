import Foundation
import UsherBPF
import UsherCore

/// Part 1's SYN flood (issue 10): established flows in a flow table of the data plane's, then
/// spoofed SYNs from a million sources through the balancer at full rate, then the share of
/// the established flows still tracked on their real. A bare SYN makes no entry (conntrack.h),
/// so no established flow should be evicted; target: at least 99 % kept.
public struct SYNFlood: Codable, Sendable {
    /// Established flows tracked before the flood.
    public var established: UInt32
    /// Spoofed SYNs sent, each from its own source (address byte and port).
    public var spoofedSyns: UInt32
    /// Established flows still tracked on their real after the flood.
    public var kept: UInt32
    /// Flow entries in the table after the flood (the established ones, if SYNs make none).
    public var entriesAfter: Int
    /// ns per SYN of the flood run, wrapper included (BPF_PROG_TEST_RUN's kernel time).
    public var nsPerSyn: Double
    public var target = 0.99

    public var share: Double { established == 0 ? 0 : Double(kept) / Double(established) }
    public var met: Bool { share >= target }

    /// Runs the flood against a private flow table of the data plane's layout and size, on
    /// service `key` (its reals `reals`) of the applied `state`.
    static func run(dataplane: Dataplane, state: DataplaneState, established: UInt32, sources: UInt32) throws -> SYNFlood {
        let key = XDPCostCases.l2v4
        guard let serviceID = state.serviceIDs[key] else {
            throw BenchCheckError(description: "syn-flood: \(key) is not a service of the applied config")
        }
        let realIDs = XDPCostCases.reals4.compactMap { state.realID(service: key, address: $0) }
        let bench = try XDPBench(dataplane: dataplane, privateFlows: true)
        let known = BenchFrames.tcp(from: XDPCostCases.client4, 1024, to: key.vip, key.port)
        let knownFlows = try FlowVariation.sourceFlows(of: known, count: established)
        try bench.trackFlows(of: known, variation: knownFlows, count: established, serviceID: serviceID, realIDs: realIDs)

        Progress.say("xdp-cost: SYN flood, \(sources) spoofed sources against \(established) established flows")
        let syn = BenchFrames.tcp(from: XDPCostCases.agingClients4, 0, to: key.vip, key.port, flags: 0x02)
        try bench.prepare(frame: syn, variation: try FlowVariation.sourceFlows(of: syn, count: nil))
        let run = try bench.run(.balancer, repeat: sources)
        guard run.verdict == .tx else {
            throw BenchCheckError(description: "syn-flood: the last spoofed SYN gave \(run.verdict), not XDP_TX")
        }
        let kept = try bench.countTracked(of: known, variation: knownFlows, count: established,
                                          serviceID: serviceID, realIDs: realIDs)
        return SYNFlood(established: established, spoofedSyns: sources, kept: kept, entriesAfter: bench.conntrackEntries(),
                        nsPerSyn: Double(run.kernelNanoseconds))
    }
}
