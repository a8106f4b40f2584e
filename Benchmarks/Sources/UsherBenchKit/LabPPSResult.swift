/// What part 3 measured: per forwarder, the packets per second forwarded through the lab by the
/// balancer's one core, the loss, and what that core spent.
public struct LabPPSResult: Codable, Sendable {
    /// Who does the balancer's job.
    public enum Forwarder: String, Codable, Sendable, CaseIterable {
        case usher, nftables, floor

        public var title: String {
            switch self {
            case .usher: return "Usher (usher_balance, XDP, dsr-l2)"
            case .nftables: return "nftables DNAT (kube-proxy style, XDP off)"
            case .floor: return "floor reflector (usher_floor, XDP)"
            }
        }
    }

    /// One measured run.
    public struct Run: Codable, Sendable {
        public var sent: UInt64
        public var counted: UInt64
        /// What each real counted, in order.
        public var perReal: [UInt64]
        /// The generator's wall-clock time.
        public var seconds: Double
        /// Busy share of the balancer's CPU while the generator ran.
        public var balancerCpuBusyPercent: Double?
        /// CPU time of the balancer's receive thread (its whole job) while the generator ran.
        public var balancerThreadSeconds: Double?
        /// Usher only: packets its own counters say it forwarded (`tx`).
        public var dataplaneForwarded: UInt64?

        public var offeredMpps: Double { Double(sent) / max(seconds, 1e-9) / 1e6 }
        public var forwardedMpps: Double { Double(counted) / max(seconds, 1e-9) / 1e6 }
        public var lossPercent: Double { sent == 0 ? 0 : Double(sent - min(sent, counted)) / Double(sent) * 100 }
        /// Share of the run the balancer's receive thread was on its CPU, in percent.
        public var threadBusyPercent: Double? {
            balancerThreadSeconds.map { $0 / max(seconds, 1e-9) * 100 }
        }
        /// Nanoseconds of the balancer thread per forwarded packet.
        public var threadNsPerPacket: Double? {
            balancerThreadSeconds.map { $0 * 1e9 / Double(max(counted, 1)) }
        }
    }

    /// The runs of one forwarder, summarized.
    public struct Row: Codable, Sendable {
        public var forwarder: Forwarder
        public var title: String
        public var offeredMpps: Summary
        public var forwardedMpps: Summary
        public var lossPercent: Summary
        public var balancerCpuBusyPercent: Summary?
        public var threadBusyPercent: Summary?
        public var threadNsPerPacket: Summary?
        public var runs: [Run]

        init?(_ forwarder: Forwarder, runs: [Run]) {
            guard let offered = Summary(runs.map(\.offeredMpps)), let forwarded = Summary(runs.map(\.forwardedMpps)),
                  let loss = Summary(runs.map(\.lossPercent)) else { return nil }
            self.forwarder = forwarder
            title = forwarder.title
            offeredMpps = offered
            forwardedMpps = forwarded
            lossPercent = loss
            balancerCpuBusyPercent = Summary(runs.compactMap(\.balancerCpuBusyPercent))
            threadBusyPercent = Summary(runs.compactMap(\.threadBusyPercent))
            threadNsPerPacket = Summary(runs.compactMap(\.threadNsPerPacket))
            self.runs = runs
        }
    }

    public var rounds: Int
    public var framesPerRun: UInt32
    public var flows: UInt32
    /// The frame sent, in words.
    public var frame: String
    public var balancerCpu: Int
    public var otherCpus: [Int]
    /// How the one-core arrangement was checked (the threads' CPUs as found after pinning).
    public var pinning: [String]
    public var rows: [Row] = []
    /// Usher's forwarded Mpps over nftables', round by round.
    public var ratioToNftables: Summary?
    /// nftables' balancer-thread ns per packet over Usher's, round by round.
    public var cpuRatioToNftables: Summary?
    public static let target = 5.0

    public var targetMet: Bool? { ratioToNftables.map { $0.median >= Self.target } }
}
