import Foundation
import UsherCore

/// At most `limit` alerts in any `window` (a minute): the rest are folded, and once a slot is
/// free again they go out as one summary (which takes the slot). The decisions only; the
/// `Alerter` sends what it is told and asks again at `nextDue`.
public struct AlertRateLimiter: Sendable {
    public enum Action: Sendable, Equatable {
        case send(Alert)
        /// Folded into the summary to come.
        case folded
    }

    public let limit: Int
    public let window: TimeInterval
    /// When each alert of the last window went out, oldest first.
    private var sent: [Date] = []
    private var folded: [DaemonEvent] = []
    private var foldedCount = 0
    private var foldedSince: Date?
    /// The events a summary lists by name; beyond that it only counts.
    public static let summaryDetail = 20

    public init(limit: Int, window: TimeInterval = 60) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// An event happened at `now`.
    public mutating func offer(_ event: DaemonEvent, at now: Date) -> Action {
        forget(before: now)
        if foldedCount == 0, sent.count < limit {
            sent.append(now)
            return .send(.event(event))
        }
        if folded.count < Self.summaryDetail { folded.append(event) }
        foldedCount += 1
        if foldedSince == nil { foldedSince = now }
        return .folded
    }

    /// The summary, if events were folded and a slot is free at `now`.
    public mutating func due(at now: Date) -> Alert? {
        forget(before: now)
        guard foldedCount > 0, sent.count < limit, let since = foldedSince else { return nil }
        sent.append(now)
        defer {
            folded = []
            foldedCount = 0
            foldedSince = nil
        }
        return .summary(Alert.Summary(count: foldedCount, events: folded, since: since, until: now))
    }

    /// When to call `due` next: when the oldest slot frees, if something waits for it.
    public var nextDue: Date? {
        guard foldedCount > 0 else { return nil }
        return sent.count < limit ? .distantPast : sent.first.map { $0.addingTimeInterval(window) }
    }

    private mutating func forget(before now: Date) {
        sent.removeAll { now.timeIntervalSince($0) >= window }
    }
}
