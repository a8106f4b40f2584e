/// TLS of an `https` check.
public struct HealthCheckTLS: Hashable, Sendable, Codable {
    /// Sent as SNI and verified; nil sends no SNI and verifies the probed IP address.
    public var serverName: String?
    /// Whether the real's certificate chain (and name) must verify; false accepts any.
    public var verify: Bool
    /// PEM file of the CA to verify against; nil: the system's roots.
    public var caPath: String?

    public init(serverName: String? = nil, verify: Bool = true, caPath: String? = nil) {
        self.serverName = serverName
        self.verify = verify
        self.caPath = caPath
    }
}
