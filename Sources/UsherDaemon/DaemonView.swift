import UsherControl
import UsherCore

/// The daemon's state at one moment, for the API and the status page.
public struct DaemonView: Sendable {
    /// The config the daemon serves (as last applied, with the CLI's runtime changes).
    public var config: BalancerConfig
    /// Every checked L4 real's health, by target.
    public var health: [HealthTarget: RuntimeState.Entry]
    public var status: DaemonStatus

    public init(config: BalancerConfig, health: [HealthTarget: RuntimeState.Entry], status: DaemonStatus) {
        self.config = config
        self.health = health
        self.status = status
    }

    /// Every real of every service as `usher real list` shows it.
    public func reals(of service: VirtualService) -> [RealView] {
        service.reals.map { RealView(service: service, $0, health: health) }
    }
}
