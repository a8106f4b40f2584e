import Foundation

/// Whether checks keep a real in rotation.
public enum HealthState: String, Hashable, Sendable, Codable {
    case up
    case down
}

/// What the checks of one target found: its state and since when, and the last check.
public struct HealthStatus: Hashable, Sendable, Codable {
    public var state: HealthState
    /// When it entered `state`.
    public var since: Date
    /// When the last check ended.
    public var lastCheck: Date?
    public var lastPassed: Bool?
    /// Why the last check failed, in words ("connect refused", "status 503, expected 200-399").
    public var lastError: String?
    public var lastLatencySeconds: Double?

    public init(state: HealthState, since: Date) {
        self.state = state
        self.since = since
    }
}

/// One change of state of one target, and why.
public struct HealthTransition: Sendable {
    public var target: HealthTarget
    public var from: HealthState
    public var to: HealthState
    public var reason: String
    public var at: Date

    public init(target: HealthTarget, from: HealthState, to: HealthState, reason: String, at: Date) {
        self.target = target
        self.from = from
        self.to = to
        self.reason = reason
        self.at = at
    }
}
