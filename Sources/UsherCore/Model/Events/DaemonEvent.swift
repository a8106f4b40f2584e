import Foundation

/// Something an operator wants to hear of: a real or a service changed state, the config was
/// applied or reloaded, something failed. The daemon keeps the recent ones (status page, API)
/// and hands each to its sinks (syslog, alerts).
public struct DaemonEvent: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable, CaseIterable {
        /// A checked real (an L4 service's real or an L7 pool's member) changed health state.
        case realState = "real-state"
        /// A service (or an L7 pool) went up, degraded (some reals down) or down (none up).
        case serviceState = "service-state"
        /// The daemon applied its config (start) or a runtime change (drain, enable, weight).
        case apply
        /// A reload (SIGHUP, `usher reload`, the API) went through or was refused.
        case reload
        /// Something failed that the daemon will retry or cannot do.
        case error
    }

    /// As syslog's severities (RFC 5424 §6.2.1), the ones the daemon uses.
    public enum Severity: String, Sendable, Codable, Hashable, CaseIterable {
        case error, warning, notice, info

        /// The RFC 5424 severity number.
        public var syslogValue: Int {
            switch self {
            case .error: 3
            case .warning: 4
            case .notice: 5
            case .info: 6
            }
        }
    }

    /// Counts from 1 in a daemon's life; the API pages events by it.
    public var sequence: Int
    public var at: Date
    public var kind: Kind
    public var severity: Severity
    public var service: String?
    /// The L7 pool, for a pool member or a pool.
    public var pool: String?
    /// The real, as `198.51.100.11:80` or `[2001:db8:2::11]:80`.
    public var real: String?
    /// The new state: up, down (reals); up, degraded, down (services).
    public var state: String?
    /// The state before, when there was one.
    public var previousState: String?
    /// In words, for a person.
    public var message: String

    public init(sequence: Int = 0, at: Date = Date(), kind: Kind, severity: Severity, service: String? = nil,
                pool: String? = nil, real: String? = nil, state: String? = nil, previousState: String? = nil,
                message: String) {
        self.sequence = sequence
        self.at = at
        self.kind = kind
        self.severity = severity
        self.service = service
        self.pool = pool
        self.real = real
        self.state = state
        self.previousState = previousState
        self.message = message
    }
}

extension DaemonEvent {
    /// A checked real's transition as an event.
    public init(_ transition: HealthTransition) {
        let target = transition.target
        let host = target.address.isV4 ? "\(target.address)" : "[\(target.address)]"
        self.init(at: transition.at, kind: .realState, severity: transition.to == .down ? .warning : .notice,
                  service: target.service, pool: target.pool,
                  real: "\(host):\(target.port == 0 ? "*" : String(target.port))",
                  state: transition.to.rawValue, previousState: transition.from.rawValue,
                  message: "\(target) is \(transition.to.rawValue): \(transition.reason)")
    }
}

extension DaemonEvent {
    /// A diff's lines for an event: the first few, then how many more (the log has them all).
    public static func summary(_ lines: [String], first: Int = 4) -> String {
        guard !lines.isEmpty else { return "no changes" }
        let shown = lines.prefix(first).joined(separator: "; ")
        return lines.count > first ? "\(shown); and \(lines.count - first) more changes" : shown
    }
}
