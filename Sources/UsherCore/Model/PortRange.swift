/// An inclusive range of ports, written `LOWER-UPPER` in the config (`1024-65535`).
public struct PortRange: Hashable, Sendable, Codable, CustomStringConvertible {
    public var lower: UInt16
    public var upper: UInt16

    public init(lower: UInt16, upper: UInt16) {
        self.lower = lower
        self.upper = upper
    }

    /// How many ports the range holds (0 if `lower > upper`).
    public var count: Int { lower <= upper ? Int(upper) - Int(lower) + 1 : 0 }

    public var description: String { "\(lower)-\(upper)" }
}
