/// What the data plane counted for one virtual service (usher_sstats_v2), summed over CPUs.
public struct ServiceStats: Hashable, Codable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    /// Flows whose first packet chose a real by Maglev.
    public var newFlows: UInt64
    /// Packets dropped because the service had no real to choose.
    public var noReal: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0, newFlows: UInt64 = 0, noReal: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.newFlows = newFlows
        self.noReal = noReal
    }
}
