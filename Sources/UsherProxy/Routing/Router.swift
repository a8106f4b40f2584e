import NIOHTTP1
import UsherCore

/// What a request gets, decided by the service's content rules.
enum RouteDecision {
    case pool(PoolRuntime)
    case redirect(Redirect)
    /// No rule holds and there is no default pool: 404.
    case noRoute
}

/// The content rules of one service, compiled: evaluated in order, first match decides,
/// then the default pool.
struct Router: Sendable {
    let rules: [CompiledRule]
    /// The pool each rule's `.pool` action names, resolved at configuration time.
    private let rulePools: [PoolRuntime?]
    let defaultPool: PoolRuntime?

    init(settings: L7Settings, pools: [String: PoolRuntime], service: String) throws {
        var rules: [CompiledRule] = []
        var rulePools: [PoolRuntime?] = []
        for (i, rule) in settings.rules.enumerated() {
            let compiled = try CompiledRule(rule, number: i + 1, service: service)
            switch rule.action {
            case .pool(let name):
                guard let p = pools[name] else {
                    throw ProxyConfigurationError.unknownPool(service: service, pool: name, usedBy: "rule \(i + 1)")
                }
                rulePools.append(p)
            case .redirect(let r):
                guard ConfigValidator.L7Bounds.redirectStatuses.contains(r.status) else { // the validator's rule
                    throw ProxyConfigurationError.invalidRedirectStatus(service: service, rule: i + 1, status: r.status)
                }
                rulePools.append(nil)
            }
            rules.append(compiled)
        }
        if let name = settings.defaultPool {
            guard let p = pools[name] else {
                throw ProxyConfigurationError.unknownPool(service: service, pool: name, usedBy: "defaultPool")
            }
            defaultPool = p
        } else {
            defaultPool = nil
        }
        self.rules = rules
        self.rulePools = rulePools
    }

    func route(_ target: RequestTarget, headers: HTTPHeaders) -> RouteDecision {
        for (i, rule) in rules.enumerated() where rule.matches(target, headers: headers) {
            switch rule.action {
            case .redirect(let r): return .redirect(r)
            case .pool: if let p = rulePools[i] { return .pool(p) }
            }
        }
        if let defaultPool { return .pool(defaultPool) }
        return .noRoute
    }
}
