import Foundation
import UsherCore

/// A service, or one L7 service's pool: what a service-state event is about.
struct ServiceKey: Hashable, Sendable {
    var service: String
    var pool: String?
}

extension Daemon {
    /// A reload's outcome as an event: what changed, or each error that refused it.
    func publishReload(_ outcome: DaemonStatus.Reload) {
        if outcome.ok {
            events.publish(DaemonEvent(kind: .reload, severity: .notice,
                                       message: "reloaded \(configPath): \(DaemonEvent.summary(outcome.changes))"))
        } else {
            events.publish(DaemonEvent(kind: .reload, severity: .error,
                                       message: "reload of \(configPath) refused, the running config stays: "
                                           + outcome.errors.joined(separator: "; ")))
        }
    }

    /// After a real changed state: its service (or pool) is up when every checked real is up,
    /// down when none is, degraded between; an event when that changed.
    func publishServiceState(of target: HealthTarget, now state: HealthState) {
        guard let engine else { return }
        let key = ServiceKey(service: target.service, pool: target.pool)
        var states = engine.snapshot().filter { $0.key.service == key.service && $0.key.pool == key.pool }
            .mapValues(\.state)
        states[target] = state
        let up = states.values.filter { $0 == .up }.count
        let next = up == states.count ? "up" : up == 0 ? "down" : "degraded"
        let previous = recordServiceState(next, for: key)
        guard previous != next else { return }
        let name = key.pool.map { "\(key.service)/\($0)" } ?? key.service
        events.publish(DaemonEvent(
            kind: .serviceState, severity: next == "down" ? .error : next == "degraded" ? .warning : .notice,
            service: key.service, pool: key.pool, state: next, previousState: previous,
            message: "\(name) is \(next): \(up) of \(states.count) reals up"))
    }
}
