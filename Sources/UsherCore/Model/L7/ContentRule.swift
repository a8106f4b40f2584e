/// A content rule: when every condition of `match` holds, `action` decides the request.
public struct ContentRule: Hashable, Sendable, Codable {
    public var match: RuleMatch
    public var action: RuleAction

    public init(match: RuleMatch, action: RuleAction) {
        self.match = match
        self.action = action
    }
}

/// Conditions on a request; absent ones hold. All present ones must hold.
public struct RuleMatch: Hashable, Sendable, Codable {
    /// The request's host (Host header or :authority, without port), case-insensitive:
    /// `shop.example` exactly, or `*.example` for any subdomain.
    public var host: String?
    public var path: PathMatch?
    /// A header that must be present, with this exact value when `value` is given.
    public var header: HeaderCondition?

    public init(host: String? = nil, path: PathMatch? = nil, header: HeaderCondition? = nil) {
        self.host = host
        self.path = path
        self.header = header
    }
}

public enum PathMatch: Hashable, Sendable, Codable {
    case prefix(String)
    case exact(String)
    /// A regular expression matched against the path (without the query).
    case regex(String)
}

public struct HeaderCondition: Hashable, Sendable, Codable {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }
}

public enum RuleAction: Hashable, Sendable, Codable {
    /// Send the request to this pool (a sub-service).
    case pool(String)
    /// Answer with a redirect to the same request with these parts replaced.
    case redirect(Redirect)
}

/// A redirect: the request's URL with the given parts replaced, answered with `status`.
public struct Redirect: Hashable, Sendable, Codable {
    public var scheme: String?
    public var host: String?
    public var port: UInt16?
    /// 301, 302, 303, 307 or 308.
    public var status: Int

    public init(scheme: String? = nil, host: String? = nil, port: UInt16? = nil, status: Int = 301) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.status = status
    }
}
