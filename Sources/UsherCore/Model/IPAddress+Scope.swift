extension IPAddress {
    /// 0.0.0.0 or `::`: "any address", never a destination.
    public var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// 127.0.0.0/8 or `::1`: never leaves the host.
    public var isLoopback: Bool {
        switch self {
        case let .v4(a, _, _, _): return a == 127
        case let .v6(b): return b[0..<15].allSatisfy { $0 == 0 } && b[15] == 1
        }
    }

    /// 224.0.0.0/4 or ff00::/8.
    public var isMulticast: Bool {
        switch self {
        case let .v4(a, _, _, _): return a & 0xf0 == 0xe0
        case let .v6(b): return b[0] == 0xff
        }
    }

    /// "IPv4" or "IPv6", for messages.
    public var familyName: String { isV4 ? "IPv4" : "IPv6" }
}
