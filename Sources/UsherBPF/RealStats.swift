/// What the data plane counted for one real server in one service (usher_rstats_v1), summed
/// over CPUs.
public struct RealStats: Hashable, Codable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    /// New flows the real was chosen for (first packets; reschedules count only globally, as
    /// ct_rescheduled).
    public var newFlows: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0, newFlows: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.newFlows = newFlows
    }
}
