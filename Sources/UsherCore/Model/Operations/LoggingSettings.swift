/// Where the daemon's log goes (`logging:` in the config file): stderr, the local syslog
/// socket, remote syslog servers; every line is RFC 5424 on the syslog ones.
public struct LoggingSettings: Sendable, Codable, Hashable {
    /// The local syslog's socket (a Unix datagram socket; journald and rsyslog listen on
    /// /dev/log), or nil for none.
    public var localSyslog: String?
    /// Remote syslog servers, each sent every line.
    public var remoteSyslog: [SyslogEndpoint]
    /// Lines also on stderr; nil: yes, unless stderr is the journal and the lines go to the
    /// local syslog too (the journal would have each twice).
    public var stderr: Bool?
    public var facility: SyslogFacility
    /// Lines held per syslog destination while it is slow or away; beyond that they are
    /// dropped and counted, never waited for.
    public var queueSize: Int

    public static let defaultLocalSocket = "/dev/log"
    public static let defaultQueueSize = 10_000

    public init(localSyslog: String? = nil, remoteSyslog: [SyslogEndpoint] = [], stderr: Bool? = nil,
                facility: SyslogFacility = .daemon, queueSize: Int = LoggingSettings.defaultQueueSize) {
        self.localSyslog = localSyslog
        self.remoteSyslog = remoteSyslog
        self.stderr = stderr
        self.facility = facility
        self.queueSize = queueSize
    }

    /// Whether lines go to stderr, the default applied; `stderrIsJournal`: systemd connected
    /// stderr to the journal (it sets JOURNAL_STREAM).
    public func writesStderr(stderrIsJournal: Bool) -> Bool { stderr ?? !(stderrIsJournal && localSyslog != nil) }
}
