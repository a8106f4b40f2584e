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

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await alerter.run() }
            for await event in events.cancelOnGracefulShutdown() {
                event.log(to: logger)
                await alerter.offer(event)
                if event.kind == .reload, event.severity != .error { await follow() }
            }
            group.cancelAll()
        }
    }

    /// The file passed the reload's checks; read its logging and alerts settings.
    private func follow() async {
        do {
            let file = try ConfigLoader.load(path: configPath)
            router.configure(options.applied(to: file.logging))
            await alerter.update(file.alerts)
        } catch {
            logger.error("the logging and alert settings stay as they were: cannot read \(configPath) again",
                         metadata: ["error": "\(error)"])
        }
    }
}
