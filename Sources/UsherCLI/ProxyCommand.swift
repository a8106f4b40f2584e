import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UsherCore
import UsherProxy

extension Logger.Level: @retroactive ExpressibleByArgument {}

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
        """
    )

    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("The config file (YAML).", valueName: "file"))
    var config: String

    @Option(help: "Event loop threads (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "usher.proxy")
        try await reportingErrors {
            let loaded = try ConfigLoader.load(path: config)
            let services = loaded.services.filter { $0.mode == .http || $0.mode == .https }
            guard !services.isEmpty else {
                throw CLIError("\(config) has no http or https service; the proxy has nothing to serve")
            }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            let server = ProxyServer(services: services, group: group, logger: logger)
            let proxy = ProxyService(server: server, configPath: config, logger: logger)
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
