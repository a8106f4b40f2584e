/// What one health check watches: a real of an L4 service, or a member of an L7 pool.
public struct HealthTarget: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The service's name (the L4 service, or the L7 service the pool belongs to).
    public var service: String
    /// The L7 pool's name; nil for a real of an L4 service.
    public var pool: String?
    /// The real's address, as traffic reaches it.
    public var address: IPAddress
    /// The real's traffic port (L4: the real's port, else the service's; 0 for an every-port service).
    public var port: UInt16

    public init(service: String, pool: String? = nil, address: IPAddress, port: UInt16) {
        self.service = service
        self.pool = pool
        self.address = address
        self.port = port
    }

    /// `web/198.51.100.11:80`, `site/reals/[2001:db8::11]:80`.
    public var description: String {
        let host = address.isV4 ? "\(address)" : "[\(address)]"
        return ([service] + (pool.map { [$0] } ?? [])).joined(separator: "/") + "/\(host):\(port)"
    }
}
