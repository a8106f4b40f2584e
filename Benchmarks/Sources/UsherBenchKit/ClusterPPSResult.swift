/// What the cluster part measured: per cluster size (1, 2, 3 balancers behind the ECMP router),
/// the packets per second the reals received, each balancer's share by its own counters, and
/// what the balancers' and the router's receive threads spent.
public struct ClusterPPSResult: Codable, Sendable {
    /// One measured run with `balancers` balancers in the router's route.
    public struct Run: Codable, Sendable {
        public var balancers: Int
        public var sent: UInt64
        /// Frames the reals counted.
        public var counted: UInt64
        /// What each balancer's data plane counted as forwarded (`tx`), balancers 1, 2, 3.
        public var perBalancer: [UInt64]
        /// The generator's wall-clock time.
        public var seconds: Double
        /// CPU time of each balancer's receive thread (its whole job), balancers 1, 2, 3.
        public var balancerThreadSeconds: [Double?]
        /// CPU time of the router's receive thread (its forwarding of every frame).
        public var routerThreadSeconds: Double?
        /// Busy share of each CPU the lab used while the generator ran, in CPU order.
        public var cpuBusyPercent: [Double?]
        /// Busy share of the traffic's CPUs (generator, router, switches, receivers), their mean.
        public var sourceCpuBusyPercent: Double?

        public var offeredMpps: Double { Double(sent) / max(seconds, 1e-9) / 1e6 }
        public var forwardedMpps: Double { Double(counted) / max(seconds, 1e-9) / 1e6 }
        public var lossPercent: Double { sent == 0 ? 0 : Double(sent - min(sent, counted)) / Double(sent) * 100 }
        /// The least share of a balancer in the route over an even share (1: perfectly even).
        public var evenness: Double {
            let active = perBalancer.prefix(balancers), total = active.reduce(0, +)
            guard total > 0 else { return 0 }
            return Double(active.min() ?? 0) / (Double(total) / Double(balancers))
        }
        /// The busiest balancer thread's share of the run, in percent.
        public var busiestBalancerPercent: Double? {
            balancerThreadSeconds.prefix(balancers).compactMap { $0 }.max().map { $0 / max(seconds, 1e-9) * 100 }
        }
        /// Nanoseconds of balancer threads (all of them) per forwarded packet.
        public var balancerNsPerPacket: Double? {
            let spent = balancerThreadSeconds.prefix(balancers).compactMap { $0 }
            return spent.isEmpty ? nil : spent.reduce(0, +) * 1e9 / Double(max(counted, 1))
        }
        public var routerBusyPercent: Double? { routerThreadSeconds.map { $0 / max(seconds, 1e-9) * 100 } }
    }

    /// The runs of one cluster size, summarized.
    public struct Row: Codable, Sendable {
        public var balancers: Int
        public var offeredMpps: Summary
        public var forwardedMpps: Summary
        public var lossPercent: Summary
        public var evenness: Summary
        public var busiestBalancerPercent: Summary?
        public var balancerNsPerPacket: Summary?
        public var routerBusyPercent: Summary?
        public var sourceCpuBusyPercent: Summary?
        /// Forwarded Mpps over the one-balancer run of the same round.
        public var scaling: Summary?
        public var runs: [Run]

        init?(balancers: Int, runs: [Run], scaling: Summary?) {
            guard let offered = Summary(runs.map(\.offeredMpps)), let forwarded = Summary(runs.map(\.forwardedMpps)),
                  let loss = Summary(runs.map(\.lossPercent)), let evenness = Summary(runs.map(\.evenness)) else { return nil }
            self.balancers = balancers
            offeredMpps = offered
            forwardedMpps = forwarded
            lossPercent = loss
            self.evenness = evenness
            busiestBalancerPercent = Summary(runs.compactMap(\.busiestBalancerPercent))
            balancerNsPerPacket = Summary(runs.compactMap(\.balancerNsPerPacket))
            routerBusyPercent = Summary(runs.compactMap(\.routerBusyPercent))
            sourceCpuBusyPercent = Summary(runs.compactMap(\.sourceCpuBusyPercent))
            self.scaling = scaling
            self.runs = runs
        }
    }

    public var rounds: Int
    public var framesPerRun: UInt32
    public var flows: UInt32
    public var frame: String
    /// The CPUs this process could use, and how they were shared out.
    public var cpus: [Int]
    public var sourceCpus: [Int]
    /// The CPU of each balancer's receive thread, balancers 1, 2, 3.
    public var balancerCpus: [Int]
    /// The threads' CPUs and priorities as found after pinning.
    public var pinning: [String]
    /// Each balancer's share of its CPU (a quota, percent) in `rows`; nil: no quota.
    public var budgetPercent: Double?
    /// Which bandwidth limit held the quota.
    public var budgetScheduler: CPUQuota.Scheduler?
    public var rows: [Row] = []
    /// With quotas: the same sizes run without them, the balancers sharing their CPU whole.
    public var sharedRows: [Row]?
    public var sharedPinning: [String]?
}
