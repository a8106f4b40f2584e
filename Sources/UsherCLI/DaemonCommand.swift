import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UsherAPI
import UsherAlerts
import UsherBGP
import UsherControl
import UsherCore
import UsherDaemon
import UsherHA
import UsherHealth
import UsherLogging
import UsherProxy
import UsherSync

/// `usher daemon -c FILE`: the balancer as a long-running service.
struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Run Usher as a service: apply the config, check every real, serve the L7 services, reload on SIGHUP.",
        discussion: """
        Applies the file over the running tables (only what differs is written, so a restarted \
        daemon takes over without losing a packet), starts the health checks of every real from \
        the states the last daemon saved in --state-dir, serves the http/https services with the \
        L7 proxy, and tells systemd when it is ready (Type=notify; the watchdog is fed when \
        WatchdogSec is set). See Tools/systemd/usher.service.

        It serves its REST API, /metrics (Prometheus) and a status page on --state-dir/api.sock         (root only), and over TLS with a bearer token when the config has `api: listen:`         (Docs/OPERATIONS.md). With `ha:` it runs keepalived (an active/passive pair), with `bgp:`         BIRD (a cluster), with `sync:` flow-state sync with its peers (Docs/DEPLOYMENT.md).

        SIGHUP or `usher reload` reads the file again: a file with any error changes nothing and \
        each error is logged as file:line:col: field: what to do. `usher real drain|weight|enable|\
        disable` ask it over its API socket; it follows what the other commands save. SIGTERM or SIGINT stop it \
        gracefully; the XDP program and its pinned maps keep forwarding.

        With an `ha:` section the daemon runs keepalived (Debian's) as its child: the pair shares \
        the services' VIPs over VRRP, `usher status` shows this balancer's role, and stopping the \
        daemon hands the VIPs to the peer at once. See Docs/DEPLOYMENT.md.
        """
    )

    @Option(name: [.customShort("c"), .customLong("config")], help: ArgumentHelp("The config file (YAML).", valueName: "file"))
    var config: String

    @Option(help: "Event loop threads for health checks and the proxy (default: one per core).")
    var threads: Int = System.coreCount

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @OptionGroup(title: "Logging") var logging: DaemonLoggingOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    func run() async throws {
        let (logger, router) = bootstrapRoutedLogging(level: logLevel, label: "usher")
        defer { router.shutdown() }
        try await reportingErrors {
            let file = try ConfigLoader.loadChecked(path: config)
            if file.bgp != nil, let problem = BGPService.missingTools() { throw CLIError(problem) }
            router.configure(logging.applied(to: file.logging))
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            let controller = Controller(pinDirectory: global.pinDirectory, stateDirectory: global.stateDirectory,
                                        warn: { logger.warning("\($0)") })
            // One engine checks every real: the L4 reals (for the tables) and the L7 pools' members
            // (the proxy registers them and reads their state per request).
            let engine = HealthEngine(group: group, logger: logger)
            let proxy = ProxyServer(services: file.services, group: group, logger: logger, health: engine)
            // Recent events for the status page and the API; sinks (syslog, alerts) subscribe to it.
            let events = EventLog()
            let alerter = Alerter(settings: file.alerts, group: group, logger: logger, host: LogRouter.hostname())
            let sinks = EventSinks(events: events.subscribe(), configPath: config, options: logging, router: router,
                                   alerter: alerter, logger: Logger(label: "usher.events"),
                                   logging: logging.applied(to: file.logging), alerts: file.alerts)
            do {
                let daemon = try Daemon(configPath: config, controller: controller, engine: engine, proxy: proxy,
                                        logger: logger, events: events)
                // With `ha:`, keepalived runs beside it (checked for before the first apply); stopped first.
                let pair = try file.ha.map { _ in
                    try KeepalivedSupervisor.forDaemon(daemon, configPath: config, controller: controller, logger: logger)
                }
                try pair?.preflight(file)
                engine.onTransition { transition in Task { await daemon.handle(transition) } }
                try await daemon.start()
                // The API, /metrics and the status page; what a TCP listener needs is checked now.
                let api = try APIServer(daemon: daemon, proxy: proxy, settings: await daemon.view().config.api, logger: logger)
                engine.observeResults(api.checkObserver)
                let service = DaemonService(daemon: daemon, proxy: proxy, logger: logger)
                var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
                // Flow-state sync with the other balancers, once the first apply made the tables.
                if let sync = file.sync {
                    services.append(.init(service: try await SyncService(
                        settings: sync, pinDirectory: global.pinDirectory, stateDirectory: global.stateDirectory,
                        group: group, logger: logger)))
                }
                // The VIPs announced over BGP while a real serves them; stopped before the daemon's service.
                if let started = file.bgp {
                    let service = BGPService(stateDirectory: global.stateDirectory, logger: logger,
                                             report: { await daemon.bgpChanged($0) }) {
                        let view = await daemon.view()
                        // A reload that removed `bgp:` withdraws everything; bird stops with the daemon.
                        guard let settings = view.config.bgp else { return (started, [], []) }
                        return (settings, AnnouncePolicy.vips(view.config, reals: view.reals(of:)),
                                AnnouncePolicy.candidates(view.config))
                    }
                    services.append(.init(service: service))
                }
                let serviceGroup = ServiceGroup(configuration: .init(
                    services: [.init(service: sinks)] + services + [.init(service: api)] + (pair.map { [.init(service: $0)] } ?? []),
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try await serviceGroup.run()
                await engine.stop()
                events.finish()
            } catch let error as HAError {
                try? await group.shutdownGracefully()
                throw CLIError(error.description)
            } catch let error as SyncServiceError {
                try? await group.shutdownGracefully()
                throw CLIError(error.description)
            } catch let error as DaemonError {
                try? await group.shutdownGracefully()
                throw CLIError(error.description)
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try await group.shutdownGracefully()
        }
    }
}

extension HealthEngine: HealthChecking {}
