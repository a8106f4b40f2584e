import Foundation

/// A checked real's state and the outcome of its last check, for the daemon and the CLI.
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
