/// A pool of real servers behind an L7 service (a sub-service's target), with how requests
/// are spread over it, kept on one of its members, and how its members are checked.
public struct Pool: Hashable, Sendable, Codable {
    public var name: String
    public var scheduler: Scheduler
    public var affinity: Affinity
    /// Re-encrypt towards the real servers; nil sends plain HTTP/1.1.
    public var upstreamTLS: UpstreamTLS?
    /// Send a PROXY protocol header first on every connection to a real server.
    public var proxyProtocol: ProxyProtocolVersion?
    public var healthCheck: HealthCheck?
    public var members: [PoolMember]
    /// Time to open a connection to a member; past it the proxy tries another member once,
    /// then answers 502.
    public var connectTimeoutSeconds: Double
    /// Time a member may stay silent during an exchange (no response head, or a stalled
    /// body): 504 before the response has started, a closed client connection after.
    public var responseTimeoutSeconds: Double

    public init(
        name: String, scheduler: Scheduler = .roundRobin, affinity: Affinity = .none,
        upstreamTLS: UpstreamTLS? = nil, proxyProtocol: ProxyProtocolVersion? = nil,
        healthCheck: HealthCheck? = nil, members: [PoolMember] = [],
        connectTimeoutSeconds: Double = 5, responseTimeoutSeconds: Double = 60
    ) {
        self.name = name
        self.scheduler = scheduler
        self.affinity = affinity
        self.upstreamTLS = upstreamTLS
        self.proxyProtocol = proxyProtocol
        self.healthCheck = healthCheck
        self.members = members
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.responseTimeoutSeconds = responseTimeoutSeconds
    }
}

/// A real server of a pool: an address and port, and its weight (0 = draining).
public struct PoolMember: Hashable, Sendable, Codable {
    public var address: IPAddress
    public var port: UInt16
    public var weight: UInt32

    public init(address: IPAddress, port: UInt16, weight: UInt32 = 1) {
        self.address = address
        self.port = port
        self.weight = weight
    }
}

public enum Scheduler: String, Hashable, Sendable, Codable, CaseIterable {
    case roundRobin = "round-robin"
    case weightedRoundRobin = "weighted-round-robin"
    case leastConnections = "least-connections"
}

/// How a client is kept on one real server of a pool.
public enum Affinity: Hashable, Sendable, Codable {
    case none
    /// By the client's address.
    case sourceIP
    /// By the value of this request header (e.g. `X-User`).
    case header(String)
    /// By a cookie of this name that the proxy inserts in the first response.
    case insertedCookie(String)
    /// By an application cookie of this name (e.g. `JSESSIONID`) that the proxy follows.
    case applicationCookie(String)
}

/// TLS towards real servers.
public struct UpstreamTLS: Hashable, Sendable, Codable {
    /// PEM file of the CA that signs the real servers' certificates; nil = do not verify
    /// (must be said explicitly in the config).
    public var caPath: String?
    /// The name to send as SNI and to verify; nil = the member's address.
    public var serverName: String?

    public init(caPath: String?, serverName: String? = nil) {
        self.caPath = caPath
        self.serverName = serverName
    }
}

public enum ProxyProtocolVersion: String, Hashable, Sendable, Codable, CaseIterable {
    case v1
    case v2
}
