import Logging
import UsherCore

extension DaemonEvent {
    /// The level the event is logged at, after its severity.
    public var logLevel: Logger.Level {
        switch severity {
        case .error: .error
        case .warning: .warning
        case .notice: .notice
        case .info: .info
        }
    }

    /// The event's fields as log metadata, so as a syslog line's structured data:
    /// `event` (the kind, also the MSGID), `sequence`, and those it has of `service`, `pool`,
    /// `real`, `state`, `previous_state`.
    public var logMetadata: Logger.Metadata {
        var fields: Logger.Metadata = ["event": .string(kind.rawValue), "sequence": "\(sequence)"]
        if let service { fields["service"] = .string(service) }
        if let pool { fields["pool"] = .string(pool) }
        if let real { fields["real"] = .string(real) }
        if let state { fields["state"] = .string(state) }
        if let previousState { fields["previous_state"] = .string(previousState) }
        return fields
    }

    /// Writes the event to `logger` with its fields.
    public func log(to logger: Logger) {
        logger.log(level: logLevel, "\(message)", metadata: logMetadata)
    }
}
