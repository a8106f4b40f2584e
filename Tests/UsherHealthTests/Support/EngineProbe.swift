import Foundation
import Logging
import NIOCore
import NIOPosix
import UsherCore
import UsherHealth

/// Runs checks through a real `HealthEngine` and waits, bounded, for what a user would see.
struct EngineProbe {
    let group: EventLoopGroup
    let engine: HealthEngine

    init(group: EventLoopGroup) {
        self.group = group
        var logger = Logger(label: "usher.health.test")
        logger.logLevel = .critical
        self.engine = HealthEngine(group: group, logger: logger)
    }

    static let loopback = IPAddress.v4(127, 0, 0, 1)

    /// A target on 127.0.0.1:`port` of service "svc".
    static func target(port: UInt16, address: IPAddress = loopback, pool: String? = nil) -> HealthTarget {
        HealthTarget(service: "svc", pool: pool, address: address, port: port)
    }

    /// Checks `target` with `kind` (rise 1, fall 1) until its first check has ended; returns its
    /// status then, and how long the check took from the engine's view.
    func once(_ kind: HealthCheckKind, target: HealthTarget, timeout: Double = 1) async throws -> HealthStatus {
        let check = HealthCheck(kind: kind, intervalSeconds: max(timeout * 2, 0.2), timeoutSeconds: timeout, rise: 1, fall: 1)
        engine.update([target: check])
        defer { engine.update([:]) }
        return try await waitFor(target, within: timeout + 5) { $0.lastCheck != nil }
    }

    /// Polls the status of `target` every 10 ms until `condition` holds; throws after `seconds`.
    func waitFor(_ target: HealthTarget, within seconds: Double, _ condition: (HealthStatus) -> Bool) async throws -> HealthStatus {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let status = engine.status(of: target), condition(status) { return status }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimedOut(description: "\(target): condition not met within \(seconds)s; status \(String(describing: engine.status(of: target)))")
    }

    struct TimedOut: Error, CustomStringConvertible {
        let description: String
    }
}
