import UsherCore

/// What the daemon needs of the health-check engine (`UsherHealth.HealthEngine` conforms): set
/// the checked targets of one scope, hear of transitions, read every target's status.
public protocol HealthChecking: Sendable {
    func update(_ checks: [HealthTarget: HealthCheck], initial: [HealthTarget: HealthStatus],
                scope: @escaping @Sendable (HealthTarget) -> Bool)
    func onTransition(_ callback: @escaping @Sendable (HealthTransition) -> Void)
    func snapshot() -> [HealthTarget: HealthStatus]
    func stop() async
}

extension BalancerConfig {
    /// The check of every real of every L4 service that has one, by target.
    public var layer4Checks: [HealthTarget: HealthCheck] {
        services.reduce(into: [:]) { checks, service in checks.merge(service.healthChecks) { first, _ in first } }
    }
}
