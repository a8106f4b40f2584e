/// The facility of RFC 5424 §6.2.1 that every log line of the daemon carries: the PRI value is
/// facility × 8 + severity. `daemon` unless the config says otherwise.
public enum SyslogFacility: String, Sendable, Codable, Hashable, CaseIterable {
    case kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp
    case local0, local1, local2, local3, local4, local5, local6, local7

    /// The facility's number (0 for kern … 23 for local7).
    public var code: Int {
        switch self {
        case .kern: 0
        case .user: 1
        case .mail: 2
        case .daemon: 3
        case .auth: 4
        case .syslog: 5
        case .lpr: 6
        case .news: 7
        case .uucp: 8
        case .cron: 9
        case .authpriv: 10
        case .ftp: 11
        case .local0: 16
        case .local1: 17
        case .local2: 18
        case .local3: 19
        case .local4: 20
        case .local5: 21
        case .local6: 22
        case .local7: 23
        }
    }
}
