import Logging
import ServiceLifecycle
import UsherAlerts
import UsherCore
import UsherDaemon
import UsherLogging

/// Where the daemon's events go besides the status page: the log (with their fields as
/// structured data) and the alerts. After a reload that went through, the `logging:` and
/// `alerts:` sections of the file are read again and followed. A service of the daemon's
/// group, listed before the daemon so that it stops after it.
struct EventSinks: Service {
    let events: AsyncStream<DaemonEvent>
    let configPath: String
    let options: DaemonLoggingOptions
    let router: LogRouter
    let alerter: Alerter
    let logger: Logger
    /// The settings in force at start (the router and the alerter follow them already).
    let logging: LoggingSettings
    let alerts: AlertSettings

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await alerter.run() }
            var current = (logging, alerts)
            for await event in events.cancelOnGracefulShutdown() {
                event.log(to: logger)
                await alerter.offer(event)
                if event.kind == .reload, event.severity != .error { current = await follow(current) }
            }
            group.cancelAll()
        }
    }

    /// The file passed the reload's checks: follows its logging and alerts settings, and says
    /// when they changed (the reload's own list of changes is about the tables).
    private func follow(_ current: (LoggingSettings, AlertSettings)) async -> (LoggingSettings, AlertSettings) {
        do {
            let file = try ConfigLoader.load(path: configPath)
            let logging = options.applied(to: file.logging)
            if logging != current.0 {
                router.configure(logging)
                logger.notice("logging settings changed", metadata: ["syslog": "\(Self.destinations(logging))"])
            }
            if file.alerts != current.1 {
                await alerter.update(file.alerts)
                logger.notice("alert settings changed", metadata: [
                    "webhook": "\(file.alerts.webhook?.url ?? "none")", "email": "\(file.alerts.email?.to.joined(separator: ", ") ?? "none")"])
            }
            return (logging, file.alerts)
        } catch {
            logger.error("the logging and alert settings stay as they were: cannot read \(configPath) again",
                         metadata: ["error": "\(error)"])
            return current
        }
    }

    static func destinations(_ settings: LoggingSettings) -> String {
        let all = (settings.localSyslog.map { ["unix:\($0)"] } ?? []) + settings.remoteSyslog.map(\.description)
        return all.isEmpty ? "none" : all.joined(separator: ", ")
    }
}
