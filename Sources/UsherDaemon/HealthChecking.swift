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
        var checks: [HealthTarget: HealthCheck] = [:]
        for service in services where service.mode.isLayer4 {
            for real in service.reals {
                guard let check = service.healthCheck(of: real) else { continue }
                checks[HealthTarget(service: service.name, address: real.address, port: real.port ?? service.port)] = check
            }
        }
        return checks
    }
}
