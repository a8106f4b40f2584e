/// A packet and byte count, summed over CPUs.
public struct CounterValue: Hashable, Codable, Sendable {
    public var packets: UInt64
    public var bytes: UInt64

    public init(packets: UInt64 = 0, bytes: UInt64 = 0) {
        self.packets = packets
        self.bytes = bytes
    }
}
