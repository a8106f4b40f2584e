import Foundation

/// A checked real changing state: which, from what to what, why, and when.
public struct HealthTransition: Sendable {
    public var target: HealthTarget
    public var from: HealthState
    public var to: HealthState
    /// In words: "3 consecutive checks failed, last: connect refused".
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
