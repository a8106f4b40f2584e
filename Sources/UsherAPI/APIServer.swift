import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import OpenAPIHummingbird
import ServiceLifecycle
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon
import UsherProxy

/// The daemon's HTTP face, one service of its `ServiceGroup`: the API (handlers generated from
/// openapi.yaml), /metrics and the status page on a Unix socket (0600, in the state directory
/// unless `api.socket` says otherwise), and on a TLS listener with a bearer token when
/// `api.listen` is set. Also keeps the status page's rate history and the metrics' samples.
public struct APIServer: Service {
    let daemon: Daemon
    let settings: APISettings
    let logger: Logger
    let metrics: MetricsExporter
    let rates = RateHistory()
    let proxy: ProxyServer?

    /// Checks what a TCP listener needs (token file, certificate and key) before anything runs.
    public init(daemon: Daemon, proxy: ProxyServer?, settings: APISettings, logger: Logger) throws {
        self.daemon = daemon
        self.proxy = proxy
        self.settings = settings
        self.logger = logger
        metrics = MetricsExporter(controller: daemon.controller, proxy: proxy)
        if settings.listen != nil { _ = try listenerParts() }
    }

    /// Where the socket is.
    public var socketPath: String { settings.socket ?? daemon.controller.stateDirectory + "/api.sock" }

    /// The health engine's observer: every check's duration into /metrics.
    public var checkObserver: @Sendable (HealthTarget, Bool, Double) -> Void {
        { [metrics] target, passed, seconds in metrics.observeCheck(target, passed: passed, seconds: seconds) }
    }

    public func run() async throws {
        let handler = APIHandler(daemon: daemon, metrics: metrics, rates: rates, logger: logger)
        let path = socketPath
        let local = Application(
            router: try router(handler, token: nil),
            server: .http1(configuration: Self.http1),
            configuration: .init(address: .unixDomainSocket(path: path), serverName: "usher"),
            onServerRunning: { _ in
                // Root only: the socket's mode is the API's access control.
                if chmod(path, 0o600) != 0 { logger.error("cannot make \(path) root-only; stopping the API") }
            },
            logger: logger)
        let events = daemon.events.subscribe()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await local.run() }
            if let listener = settings.listen {
                let (tls, token) = try listenerParts()
                let remote = Application(
                    router: try router(handler, token: Array(token.utf8)),
                    server: try .tls(.http1(configuration: Self.http1), tlsConfiguration: tls),
                    configuration: .init(address: .hostname(listener.address.description, port: Int(listener.port)),
                                         serverName: "usher"),
                    logger: logger)
                group.addTask { try await remote.run() }
                logger.notice("API on https://\(listener)/ (status page, /metrics, /api/v1) and \(path)")
            } else {
                logger.notice("API on \(path) (status page, /metrics, /api/v1)")
            }
            group.addTask { await metrics.countEvents(events) }
            group.addTask { await sample() }
            // The servers end at graceful shutdown; the rest with them.
            try await group.next()
            group.cancelAll()
        }
        unlink(path)
    }

    static let routes = DocumentedRoutes(document: APIDocument.yaml)

    /// A connection that sends nothing for this long is closed: a client that opens connections
    /// (or TLS handshakes) and goes silent cannot hold the daemon's descriptors.
    static let idleTimeout = TimeAmount.seconds(10)
    static let http1 = HTTP1Channel.Configuration(idleTimeout: idleTimeout)

    private func router(_ handler: APIHandler, token: [UInt8]?) throws -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: AccessMiddleware(token: token))
        router.add(middleware: ErrorMiddleware(logger: logger))
        router.add(middleware: MethodMiddleware(routes: Self.routes))
        try handler.registerHandlers(on: router)
        return router
    }

    /// The certificate, key and token of the TCP listener, read and checked.
    private func listenerParts() throws -> (TLSConfiguration, String) {
        guard let certificate = settings.tlsCertificate, let key = settings.tlsKey, let tokenFile = settings.tokenFile else {
            throw SecretFile.Problem(description: "api.listen needs tls-certificate, tls-key and token-file")
        }
        let token = try SecretFile.read(tokenFile, what: "the API token file (api.token-file)")
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
            let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain,
                                                               privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            return (tls, token)
        } catch {
            throw SecretFile.Problem(description: "the API's TLS files (api.tls-certificate \(certificate), api.tls-key \(key)): \(error)")
        }
    }

    /// Every 5 s the rates for the status page; every 15 s the flow tables for /metrics.
    private func sample() async {
        var ticks = 0
        while !Task.isCancelled {
            if ticks % 3 == 0 { await metrics.sampleFlowTables() }
            ticks += 1
            await recordRates()
            try? await Task.sleep(for: rates.interval)
        }
    }

    private func recordRates() async {
        let controller = daemon.controller
        var totals = RateHistory.Totals(at: Date(), packets: 0, bytes: 0, requests: 0)
        if controller.mapsArePinned, let global = try? controller.dataplane(create: false).readGlobalCounters() {
            for name in StatsSnapshot.verdictCounterNames {
                totals.packets &+= global[name]?.packets ?? 0
                totals.bytes &+= global[name]?.bytes ?? 0
            }
        }
        if let proxy {
            totals.requests = UInt64(await proxy.statistics().services.reduce(0) { $0 + $1.requests })
        }
        rates.record(totals)
    }
}
