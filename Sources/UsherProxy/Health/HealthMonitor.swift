import Logging
import NIOCore
import Synchronization
import UsherCore

/// Health checks of the members of L7 pools, with rise/fall.
///
/// Semantics (as HAProxy): a checked member starts **up** and stays in rotation until `fall`
/// consecutive checks fail; a down member returns after `rise` consecutive checks pass. A pool
/// without `healthCheck` has every member up, always; so has a member the monitor was not given.
/// Checks run every `intervalSeconds` (±10 % jitter) on the group's event loops, one member per
/// loop chosen round robin, no threads of their own; each check must finish (connect included)
/// within `timeoutSeconds`. They use the pool's PROXY protocol (a LOCAL/UNKNOWN header) and
/// upstream TLS (verified like requests). HTTP: `GET path HTTP/1.1`, `Host: address:port`,
/// passes iff the status is `expectStatus`. TCP: passes iff the connection opens (and, with TLS,
/// the handshake completes). Transitions are logged (notice up, warning down) with the pool,
/// member and reason, then reported to the `onChange` callbacks on the member's event loop.
public final class HealthMonitor: Sendable {
    private struct MemberKey: Hashable, Sendable {
        let pool: String
        let member: PoolMember
    }

    /// Read only at transitions and registration, never on the request path.
    private final class Callbacks: Sendable {
        let list = Mutex<[@Sendable (String, PoolMember, Bool) -> Void]>([])

        func call(_ pool: String, _ member: PoolMember, _ up: Bool) {
            for callback in list.withLock({ $0 }) { callback(pool, member, up) }
        }
    }

    private let checkers: [MemberKey: MemberChecker]
    private let callbacks = Callbacks()
    private let started = Atomic<Bool>(false)
    private let logger: Logger

    public init(pools: [Pool], group: EventLoopGroup, logger: Logger) {
        let callbacks = self.callbacks
        self.logger = logger
        var checkers: [MemberKey: MemberChecker] = [:]
        for pool in pools {
            guard let check = pool.healthCheck else { continue }
            let tls = pool.upstreamTLS.map(Self.tlsSetup)
            if case let .unusable(reason) = tls {
                logger.error("health checks of this pool will fail: upstream TLS unusable",
                             metadata: ["pool": "\(pool.name)", "reason": "\(reason)"])
            }
            for member in pool.members {
                let key = MemberKey(pool: pool.name, member: member)
                guard checkers[key] == nil else { continue }
                checkers[key] = MemberChecker(
                    pool: pool.name, member: member, check: check,
                    probe: HealthProbe(check: check, member: member, pool: pool, tls: tls),
                    eventLoop: group.next(), logger: logger,
                    onChange: { pool, member, up in callbacks.call(pool, member, up) })
            }
        }
        self.checkers = checkers
    }

    /// Starts checking (once; later calls do nothing).
    public func start() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        logger.info("health checks started", metadata: ["members": "\(checkers.count)"])
        for checker in checkers.values { checker.start() }
    }

    /// Stops every check; returns when checks in progress have finished.
    public func stop() async {
        let pending = checkers.values.map { $0.stop() }
        for future in pending { _ = try? await future.get() }
    }

    /// Lock-free (a dictionary built once, then one atomic load): fit for the request path.
    public func isUp(pool: String, member: PoolMember) -> Bool {
        checkers[MemberKey(pool: pool, member: member)]?.isUp ?? true
    }

    /// Adds a callback called with (pool, member, up) at every transition.
    public func onChange(_ callback: @escaping @Sendable (String, PoolMember, Bool) -> Void) {
        callbacks.list.withLock { $0.append(callback) }
    }

    private static func tlsSetup(_ settings: UpstreamTLS) -> HealthProbe.UpstreamTLSSetup {
        do {
            return .ready(try UpstreamTLSContext.make(settings), settings)
        } catch {
            return .unusable("\(error)")
        }
    }
}
