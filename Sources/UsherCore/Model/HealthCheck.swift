/// How a real server is checked: what to probe (`kind`), how often, how long a probe may take,
/// how many results in a row change its state, and where to probe when it is not where the
/// traffic goes.
public struct HealthCheck: Hashable, Sendable, Codable {
    public var kind: HealthCheckKind
    public var intervalSeconds: Double
    /// A probe unfinished after this long fails (connect included).
    public var timeoutSeconds: Double
    /// Consecutive successes that bring a failed real back.
    public var rise: Int
    /// Consecutive failures that take a real out.
    public var fall: Int
    /// The address to probe; nil: the real's own.
    public var address: IPAddress?
    /// The port to probe; nil: the real's traffic port.
    public var port: UInt16?
    /// A PROXY protocol header (LOCAL: from the balancer itself) sent first on the connection of
    /// tcp, tls, http and https checks; the proxy sets it for pools that send PROXY headers.
    public var proxyProtocol: ProxyProtocolVersion?

    public init(
        kind: HealthCheckKind, intervalSeconds: Double = 2, timeoutSeconds: Double = 1, rise: Int = 2, fall: Int = 3,
        address: IPAddress? = nil, port: UInt16? = nil, proxyProtocol: ProxyProtocolVersion? = nil
    ) {
        self.kind = kind
        self.intervalSeconds = intervalSeconds
        self.timeoutSeconds = timeoutSeconds
        self.rise = rise
        self.fall = fall
        self.address = address
        self.port = port
        self.proxyProtocol = proxyProtocol
    }

    /// The kinds that open a socket to the real and so need a port (all but `none` and `script`).
    public var needsPort: Bool {
        switch kind {
        case .none, .script: return false
        case .tcp, .tls, .http, .https, .udp, .dns: return true
        }
    }

    private enum CodingKeys: String, CodingKey {
        case kind, intervalSeconds, timeoutSeconds, rise, fall, address, port, proxyProtocol
    }

    /// Decodes a saved state, also one written before `address` and `port` existed.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(HealthCheckKind.self, forKey: .kind)
        intervalSeconds = try c.decode(Double.self, forKey: .intervalSeconds)
        timeoutSeconds = try c.decode(Double.self, forKey: .timeoutSeconds)
        rise = try c.decode(Int.self, forKey: .rise)
        fall = try c.decode(Int.self, forKey: .fall)
        address = try c.decodeIfPresent(IPAddress.self, forKey: .address)
        port = try c.decodeIfPresent(UInt16.self, forKey: .port)
        proxyProtocol = try c.decodeIfPresent(ProxyProtocolVersion.self, forKey: .proxyProtocol)
    }
}
