import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UsherCore
import UsherProxy

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Logs to stderr (journald keeps it under systemd) from `level` up; the logger of the command.
func bootstrapLogging(level: Logger.Level, label: String) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: label)
}

/// `usher proxy -c FILE`: serve the config's `http` and `https` services.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the L7/TLS proxy for the http and https services of a config file.",
        discussion: """
        Listens on each http/https service's VIP and port (behind the XDP program, which passes \
        these services up to the host stack, or alone). One event loop per core by default.

        SIGHUP reads the file and the certificates again: services keep their listeners and open \
        connections, new connections get the new settings; a file with errors is reported and \
        the running settings stay. SIGTERM or SIGINT stop gracefully: listeners close and \
        requests in progress finish (for up to 10 seconds).

        VIPs need not be on a local interface (listeners use IP_FREEBIND). Once a second the \
        counters are written to <state dir>/proxy-stats.json, which `usher stats` shows.
        """
    )

    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("The config file (YAML).", valueName: "file"))
    var config: String

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Close a kept-alive connection to a real server unused this long; keep it below the real servers' keep-alive timeout.", valueName: "seconds"))
    var upstreamIdleTimeout: Double = 30

    @Option(help: ArgumentHelp("Close a WebSocket tunnel with no byte either way for this long.", valueName: "seconds"))
    var tunnelIdleTimeout: Double = 3600

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
        guard (0.1...3600).contains(upstreamIdleTimeout) else {
            throw ValidationError("--upstream-idle-timeout must be between 0.1 and 3600 seconds")
        }
        guard (1...86400).contains(tunnelIdleTimeout) else {
            throw ValidationError("--tunnel-idle-timeout must be between 1 and 86400 seconds")
        }
    }

    var tuning: ProxyTuning {
        ProxyTuning(upstreamIdleTimeout: .nanoseconds(Int64(upstreamIdleTimeout * 1e9)),
                    tunnelIdleTimeout: .nanoseconds(Int64(tunnelIdleTimeout * 1e9)))
    }

    func run() async throws {
        let logger = bootstrapLogging(level: logLevel, label: "usher.proxy")
        try await reportingErrors {
            let loaded = try ConfigLoader.loadChecked(path: config)
            let services = loaded.services.filter { $0.mode == .http || $0.mode == .https }
            guard !services.isEmpty else {
                throw CLIError("\(config) has no http or https service; the proxy has nothing to serve")
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            let server = ProxyServer(services: services, group: group, logger: logger, tuning: tuning)
            let proxy = ProxyService(server: server, configPath: config, stateDirectory: global.stateDirectory, logger: logger)
            let serviceGroup = ServiceGroup(configuration: .init(
                services: [.init(service: proxy)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            do {
                try await serviceGroup.run()
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        }
    }
}
