import Logging
import NIOCore
import UsherCore
import UsherHealth
@testable import UsherProxy

/// The proxy's pool checks on a `HealthEngine` of their own, seen by pool and member as the
/// request path sees them (`EngineMemberHealth`), for tests of what pools check.
final class PoolHealthMonitor: Sendable {
    let engine: HealthEngine
    let checks: [HealthTarget: HealthCheck]
    static let service = "site"

    init(pools: [Pool], group: EventLoopGroup, logger: Logger) {
        engine = HealthEngine(group: group, logger: logger)
        checks = PoolHealthChecks.checks(service: Self.service, pools: pools)
    }

    func start() {
        engine.update(checks, scope: PoolHealthChecks.scope)
    }

    func stop() async {
        await engine.stop()
    }

    func isUp(pool: String, member: PoolMember) -> Bool {
        EngineMemberHealth(engine: engine, service: Self.service).isUp(pool: pool, member: member)
    }

    /// Calls `callback` with (pool, member, up) at every transition.
    func onChange(_ callback: @escaping @Sendable (String, PoolMember, Bool) -> Void) {
        engine.onTransition { t in
            callback(t.target.pool ?? "", PoolMember(address: t.target.address, port: t.target.port), t.to == .up)
        }
    }
}
