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

    /// 255.255.255.255, the limited broadcast.
    public var isLimitedBroadcast: Bool { self == .v4(255, 255, 255, 255) }

    /// 240.0.0.0/4, reserved ("class E"); includes the limited broadcast.
    public var isReservedV4: Bool {
        if case let .v4(a, _, _, _) = self { return a & 0xf0 == 0xf0 }
        return false
    }

    /// 0.0.0.0/8, "this network": a source only while a host learns its address.
    public var isThisNetworkV4: Bool {
        if case let .v4(a, _, _, _) = self { return a == 0 }
        return false
    }

    /// ::ffff:0:0/96, an IPv4 address written as IPv6: never on an IPv6 wire.
    public var isV4Mapped: Bool {
        if case let .v6(b) = self { return b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xff && b[11] == 0xff }
        return false
    }

    /// "IPv4" or "IPv6", for messages.
    public var familyName: String { isV4 ? "IPv4" : "IPv6" }
}
