import Logging
import NIOCore
import NIOSSL
import UsherCore

/// One service compiled for the request path, immutable: its limits, header rules, router and
/// pools. Built once per (re)configuration; connections keep the one they were accepted with.
final class ServiceRuntime: Sendable {
    let service: VirtualService
    let settings: L7Settings
    let router: Router
    let pools: [String: PoolRuntime]
    /// The same pools in configuration order (`PoolRuntime.index`).
    let poolsInOrder: [PoolRuntime]
    let counters: ServiceCounters
    let accessLog: AccessLogSink
    /// Certificates of an `https` service (nil for `http`).
    let certificates: CertificateStore?
    /// `http` or `https`, as the client reached the service.
    let scheme: String
    /// For events of the service worth an operator's attention (real servers failing), with
    /// the service's name attached; never per successful request.
    let logger: Logger

    var name: String { service.name }
    var limits: HTTPLimits { settings.limits }

    init(_ service: VirtualService, counters: ServiceCounters, accessLog: AccessLogSink,
         certificates: CertificateStore?, health: any MemberHealthSource, logger: Logger,
         upstreamTLS: (UpstreamTLS) throws -> NIOSSLContext) throws {
        guard let settings = service.l7 else { throw ProxyConfigurationError.missingL7Settings(service: service.name) }
        if service.mode == .https, settings.tls?.certificates.isEmpty ?? true {
            throw ProxyConfigurationError.missingTLS(service: service.name)
        }
        var pools: [String: PoolRuntime] = [:]
        var poolsInOrder: [PoolRuntime] = []
        for pool in settings.pools {
            guard pools[pool.name] == nil else {
                throw ProxyConfigurationError.duplicatePool(service: service.name, pool: pool.name)
            }
            let tls = try pool.upstreamTLS.map { (context: try upstreamTLS($0), settings: $0) }
            let connector = UpstreamConnector(
                connectTimeout: .nanoseconds(Int64(pool.connectTimeoutSeconds * 1e9)),
                proxyProtocol: pool.proxyProtocol, tls: tls)
            do {
                let runtime = try PoolRuntime(pool, index: poolsInOrder.count, health: health, connector: connector)
                pools[pool.name] = runtime
                poolsInOrder.append(runtime)
            } catch let error as ProxyConfigurationError {
                throw error
            } catch {
                let bad = pool.members.first { (try? SocketAddress(ipAddress: "\($0.address)", port: Int($0.port))) == nil }
                throw ProxyConfigurationError.invalidMember(
                    service: service.name, pool: pool.name, member: bad.map { "\($0.address):\($0.port)" } ?? "?")
            }
        }
        self.service = service
        self.settings = settings
        self.pools = pools
        self.poolsInOrder = poolsInOrder
        self.router = try Router(settings: settings, pools: pools, service: service.name)
        self.counters = counters
        self.accessLog = accessLog
        self.certificates = certificates
        self.scheme = service.mode == .https ? "https" : "http"
        var logger = logger
        logger[metadataKey: "service"] = "\(service.name)"
        self.logger = logger
    }
}
