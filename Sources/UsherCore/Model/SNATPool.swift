/// A named pool of source addresses and ports for `nat` services: the real servers see flows
/// come from these. Several services may share a pool: a port is only reserved per
/// (real server address and port, pool address), so each address gives every real its own
/// range of ports.
public struct SNATPool: Hashable, Sendable, Codable {
    /// The default source ports: every port above the well-known ones.
    public static let defaultPorts = PortRange(lower: 1024, upper: 65535)
    /// Addresses a pool may hold (USHER_SNAT_MAX_ADDRS of abi.h).
    public static let maxAddresses = 16

    /// Unique among pools, [A-Za-z0-9._-]{1,63}.
    public var name: String
    /// One to `maxAddresses` addresses of one family, the family of the services using it.
    public var addresses: [IPAddress]
    /// Source ports handed out, shared among the CPUs of the balancer.
    public var ports: PortRange

    public init(name: String, addresses: [IPAddress], ports: PortRange = SNATPool.defaultPorts) {
        self.name = name
        self.addresses = addresses
        self.ports = ports
    }
}
