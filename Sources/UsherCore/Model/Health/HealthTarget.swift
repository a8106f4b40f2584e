/// One checked real server: a real of an L4 service, or a member of an L7 service's pool.
public struct HealthTarget: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The service's name (the L4 service, or the L7 service of the pool).
    public var service: String
    /// The L7 pool's name; nil for a real of an L4 service.
    public var pool: String?
    /// The real's (traffic) address.
    public var address: IPAddress
    /// The real's traffic port (L4: `real.port ?? service.port`; 0 for an every-port service).
    public var port: UInt16

    public init(service: String, pool: String? = nil, address: IPAddress, port: UInt16) {
        self.service = service
        self.pool = pool
        self.address = address
        self.port = port
    }

    /// `web 198.51.100.11:80`, `site/app 198.51.100.11:8080`, `[2001:db8::11]:*` for port 0.
    public var description: String {
        let host = address.isV4 ? "\(address)" : "[\(address)]"
        let owner = pool.map { "\(service)/\($0)" } ?? service
        return "\(owner) \(host):\(port == 0 ? "*" : String(port))"
    }
}
