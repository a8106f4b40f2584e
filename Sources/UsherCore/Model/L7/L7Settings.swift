/// How an `http` or `https` virtual service is served by the proxy: TLS, limits, header
/// handling, the pools of real servers and the content rules that choose among them.
public struct L7Settings: Hashable, Sendable, Codable {
    /// Certificates for `https` (required there, absent for `http`).
    public var tls: TLSSettings?
    public var limits: HTTPLimits
    /// Add `X-Forwarded-For`, `X-Forwarded-Proto` and `Forwarded` towards the real servers.
    public var forwardedHeaders: Bool
    public var requestHeaders: HeaderRewrite
    public var responseHeaders: HeaderRewrite
    public var pools: [Pool]
    /// Evaluated in order; the first whose match holds decides.
    public var rules: [ContentRule]
    /// The pool for requests no rule decides; nil means such requests get 404.
    public var defaultPool: String?
    public var accessLog: AccessLogTarget

    public init(
        tls: TLSSettings? = nil, limits: HTTPLimits = .init(), forwardedHeaders: Bool = true,
        requestHeaders: HeaderRewrite = .init(), responseHeaders: HeaderRewrite = .init(),
        pools: [Pool] = [], rules: [ContentRule] = [], defaultPool: String? = nil,
        accessLog: AccessLogTarget = .standardOutput
    ) {
        self.tls = tls
        self.limits = limits
        self.forwardedHeaders = forwardedHeaders
        self.requestHeaders = requestHeaders
        self.responseHeaders = responseHeaders
        self.pools = pools
        self.rules = rules
        self.defaultPool = defaultPool
        self.accessLog = accessLog
    }

    public func pool(named name: String) -> Pool? { pools.first { $0.name == name } }
}

/// Where access log lines go: one line per request.
public enum AccessLogTarget: Hashable, Sendable, Codable {
    case none
    case standardOutput
    case file(String)
}
