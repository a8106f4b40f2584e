import ArgumentParser
import Logging
import UsherCore
import UsherLogging

/// `usher daemon`'s logging options: they add to the config's `logging:` section.
struct DaemonLoggingOptions: ParsableArguments {
    @Flag(help: "Also log to the local syslog (/dev/log; journald and rsyslog listen there), as RFC 5424.")
    var syslog = false

    @Option(help: ArgumentHelp("Also log to this syslog server, as RFC 5424 over UDP (RFC 5426) or TCP (RFC 6587); may be repeated.",
                               valueName: "udp://HOST:PORT|tcp://HOST:PORT"))
    var syslogRemote: [String] = []

    func validate() throws {
        for text in syslogRemote {
            if case .failure = SyslogEndpoint.parse(text) {
                throw ValidationError("--syslog-remote \(text): write udp://HOST:PORT or tcp://HOST:PORT, e.g. udp://198.51.100.9:514")
            }
        }
    }

    /// The config's settings with these options added.
    func applied(to settings: LoggingSettings) -> LoggingSettings {
        var out = settings
        if syslog, out.localSyslog == nil { out.localSyslog = LoggingSettings.defaultLocalSocket }
        for text in syslogRemote {
            if case let .success(endpoint) = SyslogEndpoint.parse(text), !out.remoteSyslog.contains(endpoint) {
                out.remoteSyslog.append(endpoint)
            }
        }
        return out
    }
}

/// Bootstraps swift-log with handlers that write where `router` says (stderr until configured);
/// the daemon's logger.
func bootstrapRoutedLogging(level: Logger.Level, label: String) -> (Logger, LogRouter) {
    let router = LogRouter()
    LoggingSystem.bootstrap { label in router.handler(label: label, level: level) }
    return (Logger(label: label), router)
}
