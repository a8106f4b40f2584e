/// A service the proxy cannot serve as configured: says which service, which part, and what
/// to change.
public enum ProxyConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The service has mode http/https but no `l7` settings.
    case missingL7Settings(service: String)
    /// An https service without certificates.
    case missingTLS(service: String)
    case invalidPathRegex(service: String, rule: Int, pattern: String, reason: String)
    /// A rule or the default names a pool the service does not define.
    case unknownPool(service: String, pool: String, usedBy: String)
    case duplicatePool(service: String, pool: String)
    case invalidRedirectStatus(service: String, rule: Int, status: Int)
    case invalidMember(service: String, pool: String, member: String)
    /// Listening on the service's address failed (in use, not local, no permission).
    case cannotListen(service: String, address: String, reason: String)
    /// Two services ask for the same address and port.
    case duplicateListener(service: String, other: String, address: String)
    /// The proxy is not in a state for this call (start twice, reload before start).
    case notRunning

    public var description: String {
        switch self {
        case let .missingL7Settings(s):
            return "service '\(s)': mode http/https needs l7 settings (pools, rules); add them or use an L4 mode"
        case let .missingTLS(s):
            return "service '\(s)': mode https needs tls.certificates; add at least one certificate and key"
        case let .invalidPathRegex(s, r, p, why):
            return "service '\(s)', rule \(r): path regex '\(p)' does not compile (\(why)); fix the expression"
        case let .unknownPool(s, p, by):
            return "service '\(s)': \(by) names pool '\(p)', which the service does not define; add the pool or fix the name"
        case let .duplicatePool(s, p):
            return "service '\(s)': pool '\(p)' is defined twice; pool names must be unique within a service"
        case let .invalidRedirectStatus(s, r, st):
            return "service '\(s)', rule \(r): redirect status \(st) is not a redirect; use 301, 302, 303, 307 or 308"
        case let .invalidMember(s, p, m):
            return "service '\(s)', pool '\(p)': member \(m) is not a usable address"
        case let .cannotListen(s, a, why):
            return "service '\(s)': cannot listen on \(a): \(why); check the address is local and the port free"
        case let .duplicateListener(s, o, a):
            return "services '\(o)' and '\(s)' both listen on \(a); give each its own address or port"
        case .notRunning:
            return "the proxy is not running (start it first, and only once)"
        }
    }
}
