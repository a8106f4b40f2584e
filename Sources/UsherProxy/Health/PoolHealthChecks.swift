import UsherCore

/// The health checks of L7 pool members as the shared `HealthEngine` runs them: one target per
/// member (`pool` set), checked the way the pool talks to it — over the pool's upstream TLS
/// (`http` becomes `https`, `tcp` becomes `tls`, verified against the pool's CA and name, or not
/// at all with `verify: false`) and after the pool's PROXY header (LOCAL).
enum PoolHealthChecks {
    /// The engine's scope for the proxy's targets.
    static let scope: @Sendable (HealthTarget) -> Bool = { $0.pool != nil }

    static func checks(service: String, pools: [Pool]) -> [HealthTarget: HealthCheck] {
        var out: [HealthTarget: HealthCheck] = [:]
        for pool in pools {
            guard let check = check(for: pool) else { continue }
            for member in pool.members {
                out[HealthTarget(service: service, pool: pool.name, address: member.address, port: member.port)] = check
            }
        }
        return out
    }

    /// The pool's check as the engine runs it; nil when the pool has none.
    static func check(for pool: Pool) -> HealthCheck? {
        guard var check = pool.healthCheck else { return nil }
        check.proxyProtocol = check.proxyProtocol ?? pool.proxyProtocol
        if let upstream = pool.upstreamTLS {
            let tls = HealthCheckTLS(serverName: upstream.serverName, verify: upstream.caPath != nil, caPath: upstream.caPath)
            switch check.kind {
            case .tcp: check.kind = .tls(tls)
            case let .http(http): check.kind = .https(http, tls)
            case .none, .tls, .https, .udp, .dns, .script: break
            }
        }
        return check
    }
}
