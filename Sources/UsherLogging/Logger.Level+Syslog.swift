import Logging

extension Logger.Level {
    /// The RFC 5424 severity (§6.2.1): critical 2 … debug 7; trace has none of its own and is 7.
    public var syslogSeverity: Int {
        switch self {
        case .critical: 2
        case .error: 3
        case .warning: 4
        case .notice: 5
        case .info: 6
        case .debug, .trace: 7
        }
    }
}
