import Foundation
import Logging
import Synchronization
import UsherCore

/// Where every logger of the process writes right now: stderr and/or syslog destinations.
/// swift-log is bootstrapped once, with handlers that ask the router on each line; the daemon
/// sets the router from the config at start and again on reload, so a reload can add, change
/// or remove a destination without losing a logger.
public final class LogRouter: Sendable {
    struct Outputs: Sendable {
        var stderr: Bool
        var formatter: RFC5424Formatter
        var destinations: [SyslogDestination]
    }

    private let outputs: Mutex<Outputs>
    private let report: @Sendable (String) -> Void

    /// Stderr only, until `configure` says otherwise.
    public init(hostname: String = LogRouter.hostname(), appName: String = "usher", procID: String = String(getpid()),
                report: @escaping @Sendable (String) -> Void = SyslogDestination.writeToStandardError) {
        self.report = report
        outputs = Mutex(Outputs(stderr: true,
                                formatter: RFC5424Formatter(facility: SyslogFacility.daemon.code, hostname: hostname,
                                                            appName: appName, procID: procID),
                                destinations: []))
    }

    /// Follows `settings`: destinations that stay keep their queue and connection, new ones
    /// start, the others are closed without waiting (their threads send what is queued, if
    /// they can, and end).
    public func configure(_ settings: LoggingSettings) {
        var targets: [SyslogTarget] = settings.localSyslog.map { [.local(path: $0)] } ?? []
        targets += settings.remoteSyslog.map { .remote($0) }
        let removed: [SyslogDestination] = outputs.withLock { outputs in
            outputs.stderr = settings.writesStderr(stderrIsJournal: Self.stderrIsJournal())
            outputs.formatter.facility = settings.facility.code
            var kept: [SyslogDestination] = [], removed: [SyslogDestination] = []
            for destination in outputs.destinations {
                if targets.contains(destination.target), destination.capacity == settings.queueSize {
                    kept.append(destination)
                } else {
                    removed.append(destination)
                }
            }
            for target in targets where !kept.contains(where: { $0.target == target }) {
                kept.append(SyslogDestination(target: target, capacity: settings.queueSize, report: report))
            }
            outputs.destinations = kept
            return removed
        }
        for destination in removed { destination.close(timeout: 0) }
    }

    /// Each destination's counts (sent, dropped, failed, queued).
    public func statistics() -> [SyslogDestination.Statistics] {
        outputs.withLock { $0.destinations }.map { $0.snapshot() }
    }

    /// At exit: stops every destination and gives the queued lines up to `timeout` seconds.
    public func shutdown(timeout: Double = 2) {
        let destinations = outputs.withLock { outputs in
            defer { outputs.destinations = [] }
            return outputs.destinations
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        for destination in destinations { destination.close(timeout: max(0, deadline.timeIntervalSinceNow)) }
    }

    /// A handler for swift-log's bootstrap: lines from `level` up, to wherever the router says.
    public func handler(label: String, level: Logger.Level) -> RoutingLogHandler {
        RoutingLogHandler(label: label, level: level, router: self)
    }

    func current() -> Outputs {
        outputs.withLock { $0 }
    }

    /// Whether systemd connected stderr to the journal: JOURNAL_STREAM names stderr's device and
    /// inode (systemd.exec(5)).
    static func stderrIsJournal() -> Bool {
        guard let value = ProcessInfo.processInfo.environment["JOURNAL_STREAM"] else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return value == "\(info.st_dev):\(info.st_ino)"
    }

    /// This host's name, for the HOSTNAME field.
    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "-" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
