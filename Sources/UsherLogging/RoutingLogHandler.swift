import Foundation
import Logging

/// The log handler of every logger: writes each line to stderr (as swift-log's stream handler
/// does) and as an RFC 5424 message to each syslog destination, as its `LogRouter` says. The
/// metadata becomes the message's structured data; a line with an `event` field (a daemon
/// event's kind) carries it as its MSGID.
public struct RoutingLogHandler: LogHandler {
    private let router: LogRouter
    /// Holds the level, the metadata and the provider, and writes the stderr lines.
    private var stream: StreamLogHandler

    init(label: String, level: Logger.Level, router: LogRouter) {
        self.router = router
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = level
    }

    public var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { stream.metadata }
        set { stream.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { stream.metadata[key] }
        set { stream.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let outputs = router.current()
        if outputs.stderr { stream.log(event: event) }
        guard !outputs.destinations.isEmpty else { return }
        var fields = stream.metadata
        if let provided = stream.metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }
        let messageID: String? = if case let .string(kind)? = fields["event"] { kind } else { nil }
        let line = outputs.formatter.format(severity: event.level.syslogSeverity, timestamp: Date(), messageID: messageID,
                                            parameters: fields.map { ($0.key, Self.text($0.value)) },
                                            message: event.message.description)
        for destination in outputs.destinations { destination.send(line) }
    }

    /// A metadata value as one param value: nested values as swift-log prints them.
    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case let .string(s): s
        case let .stringConvertible(c): c.description
        default: value.description
        }
    }
}
