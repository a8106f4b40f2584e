import Logging
import ServiceLifecycle
import UnixSignals
import UsherCore
import UsherProxy

/// The proxy as a service of a `ServiceGroup`: starts the listeners, reloads on SIGHUP, writes
/// the counters to `<state dir>/proxy-stats.json` once a second, and stops gracefully when the
/// group shuts down.
struct ProxyService: Service {
    let server: ProxyServer
    let configPath: String
    let stateDirectory: String
    let logger: Logger

    func run() async throws {
        _ = try await server.start() // logs each listener
        let statistics = Task { await writeStatistics() }
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            await reload()
        }
        statistics.cancel()
        try? await server.statistics().write(toDirectory: stateDirectory) // the last counts, then it ages
        logger.notice("stopping: letting requests in progress finish")
        try await server.stop()
    }

    /// Once a second until cancelled; a failure is logged once (then again after a success).
    private func writeStatistics() async {
        var failing = false
        while !Task.isCancelled {
            do {
                try await server.statistics().write(toDirectory: stateDirectory)
                failing = false
            } catch {
                if !failing {
                    logger.warning("cannot write the proxy statistics; usher stats will call them stale",
                                   metadata: ["directory": "\(stateDirectory)", "error": "\(error)"])
                }
                failing = true
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }

    /// Reads the file again; on any error the running settings stay.
    private func reload() async {
        do {
            let config = try ConfigLoader.loadChecked(path: configPath)
            try await server.reload(services: config.services)
        } catch let errors as ConfigErrors {
            for error in errors.errors { logger.error("\(error)") }
            logger.error("reload refused; the running settings stay", metadata: ["file": "\(configPath)"])
        } catch {
            logger.error("reload failed; the running settings stay", metadata: ["error": "\(error)"])
        }
    }
}
