import Foundation
import UsherCore

/// What an alert says: one state change, or a summary of those that came too fast.
public enum Alert: Sendable, Equatable {
    case event(DaemonEvent)
    case summary(Summary)

    public struct Summary: Sendable, Equatable, Codable {
        /// How many state changes were folded.
        public var count: Int
        /// The first ones (up to `AlertRateLimiter.summaryDetail`).
        public var events: [DaemonEvent]
        public var since: Date
        public var until: Date
    }

    /// One line, for an email's subject.
    public var subject: String {
        switch self {
        case let .event(event):
            let what = event.real.map { "\($0) of \(event.service ?? "?")" } ?? [event.service, event.pool].compactMap { $0 }.joined(separator: "/")
            return "\(what) is \(event.state ?? "?")"
        case let .summary(summary):
            return "\(summary.count) more state changes"
        }
    }

    /// For a person: the event's message, or the summary's list.
    public var text: String {
        switch self {
        case let .event(event):
            return "\(event.message)\n\nat \(Self.time(event.at)) (event \(event.sequence), \(event.kind.rawValue))"
        case let .summary(summary):
            var lines = ["\(summary.count) state changes from \(Self.time(summary.since)) to \(Self.time(summary.until)) "
                + "came after the alert limit was reached; the first \(summary.events.count):", ""]
            lines += summary.events.map { "\(Self.time($0.at))  \($0.message)" }
            if summary.count > summary.events.count { lines.append("… and \(summary.count - summary.events.count) more") }
            return lines.joined(separator: "\n")
        }
    }

    /// The webhook's body: `{"alert": "event", "event": {…}}` or
    /// `{"alert": "summary", "summary": {"count", "events", "since", "until"}}`, dates in ISO 8601.
    public func json(host: String) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        switch self {
        case let .event(event): return Array(try encoder.encode(Body(alert: "event", host: host, event: event)))
        case let .summary(summary): return Array(try encoder.encode(Body(alert: "summary", host: host, summary: summary)))
        }
    }

    private struct Body: Encodable {
        var alert: String
        var host: String
        var event: DaemonEvent?
        var summary: Summary?
    }

    static func time(_ date: Date) -> String {
        ISO8601DateFormatter.string(from: date, timeZone: TimeZone(identifier: "UTC") ?? .current,
                                    formatOptions: [.withInternetDateTime])
    }
}
