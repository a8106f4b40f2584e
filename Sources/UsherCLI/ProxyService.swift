import Logging
import ServiceLifecycle
import UnixSignals
import UsherCore
import UsherProxy

/// The proxy as a service of a `ServiceGroup`: starts the listeners, reloads on SIGHUP, and
/// stops gracefully when the group shuts down.
struct ProxyService: Service {
    let server: ProxyServer
    let configPath: String
    let logger: Logger

    func run() async throws {
        _ = try await server.start() // logs each listener
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reload()
        }
        logger.notice("stopping: letting requests in progress finish")
        try await server.stop()
    }

    /// Reads the file again; on any error the running settings stay.
    private func reload() async {
        do {
            let config = try ConfigLoader.load(path: configPath)
            try await server.reload(services: config.services)
        } catch let errors as ConfigErrors {
            for error in errors.errors { logger.error("\(error)") }
            logger.error("reload refused; the running settings stay", metadata: ["file": "\(configPath)"])
        } catch {
            logger.error("reload failed; the running settings stay", metadata: ["error": "\(error)"])
        }
    }
}
