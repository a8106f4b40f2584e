import CUsherABI

/// The data plane's counters at one moment, each summed over CPUs.
public struct StatsSnapshot: Hashable, Codable, Sendable {
    /// The global counters (usher_stats_v3), by name: the USHER_STAT_* constants in lower case
    /// without the prefix (`pass_not_ip`, …, `ct_rescheduled`).
    public var global: [String: CounterValue]
    /// Per service id, for every service in usher_vips_v2.
    public var services: [UInt32: ServiceStats]
    /// Per real id, for every present entry of usher_reals_v3: one per (service, real), see
    /// ``DataplaneState/realID(service:address:)``.
    public var reals: [UInt32: RealStats]

    public init(global: [String: CounterValue] = [:], services: [UInt32: ServiceStats] = [:], reals: [UInt32: RealStats] = [:]) {
        self.global = global
        self.services = services
        self.reals = reals
    }

    /// The names of the global counters in index order (USHER_STAT_0 ... USHER_STAT_MAX-1).
    public static let counterNames: [String] = [
        "pass_not_ip", "pass_not_vip", "pass_not_l4", "pass_fragment", "pass_malformed",
        "pass_unsupported", "pass_l7", "pass_no_flow", "tx", "redirect", "drop_no_real",
        "drop_encap", "drop_nat_exhausted",
        "ct_hit", "ct_new", "ct_rescheduled", "nat_reply", "nat_icmp", "nat_reclaimed", "ct_confirmed",
    ]

    /// The counters that are verdict reasons (each packet is counted under exactly one).
    public static var verdictCounterNames: ArraySlice<String> {
        counterNames.prefix(Int(USHER_STAT_VERDICT_MAX))
    }

    /// All packets the program has seen: the sum of the verdict reasons.
    public var totalPackets: UInt64 {
        Self.verdictCounterNames.reduce(0) { $0 + (global[$1]?.packets ?? 0) }
    }
}
