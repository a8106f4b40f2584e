/// What the data plane counted for one virtual service (usher_sstats_v2), summed over CPUs.
public struct ServiceStats: Hashable, Codable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64
    /// Flows whose first packet chose a real by Maglev.
    public var newFlows: UInt64
    /// Packets dropped because the service had no real to choose.
    public var noReal: UInt64
    /// New nat/gateway flows dropped: no free SNAT port (nat), reply tuple taken (gateway).
    public var natExhausted: UInt64
    /// nat/gateway replies translated back to clients, and their bytes (frames as received).
    public var replyPackets: UInt64
    public var replyBytes: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0, newFlows: UInt64 = 0, noReal: UInt64 = 0,
                natExhausted: UInt64 = 0, replyPackets: UInt64 = 0, replyBytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
        self.newFlows = newFlows
        self.noReal = noReal
        self.natExhausted = natExhausted
        self.replyPackets = replyPackets
        self.replyBytes = replyBytes
    }
}
