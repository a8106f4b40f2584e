import UsherCore

/// Where the balancer sends a real server's frames: out of `interface` (`ifindex`) to the
/// Ethernet address `mac` (the real itself on the same link, else the gateway towards it),
/// from `sourceMAC`, the interface's own address.
public struct NextHop: Hashable, Codable, Sendable, CustomStringConvertible {
    public var ifindex: UInt32
    public var interface: String
    public var mac: MACAddress
    public var sourceMAC: MACAddress
    /// The router the real is reached through, or nil when it is on the link.
    public var gateway: IPAddress?

    public init(ifindex: UInt32, interface: String, mac: MACAddress, sourceMAC: MACAddress, gateway: IPAddress? = nil) {
        self.ifindex = ifindex
        self.interface = interface
        self.mac = mac
        self.sourceMAC = sourceMAC
        self.gateway = gateway
    }

    public var description: String {
        let via = gateway.map { " via \($0)" } ?? ""
        return "\(mac)\(via) dev \(interface) (ifindex \(ifindex)) from \(sourceMAC)"
    }
}
