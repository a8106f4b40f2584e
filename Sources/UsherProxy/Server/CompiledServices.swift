import Logging
import NIOCore
import UsherCore
import UsherHealth

/// Everything built from one configuration of the services, before any listener changes:
/// runtimes, the pool members' health checks, certificate stores, access log sinks. Building it throws the
/// first configuration error, so a bad reload changes nothing.
struct CompiledServices: Sendable {
    var runtimes: [String: ServiceRuntime] = [:]
    /// Every checked pool member, for the shared `HealthEngine`.
    var checks: [HealthTarget: HealthCheck] = [:]
    var sinks: [AccessLogTarget: AccessLogSink] = [:]
    /// Sinks of the previous configuration this one no longer uses.
    var retiredSinks: [AccessLogSink] = []

    init() {}

    init(_ services: [VirtualService], previous: CompiledServices?, health: HealthEngine, logger: Logger) throws {
        var seen: [String: String] = [:]
        for service in services where service.port != 0 {
            // Port 0 asks the system for a free port each: never a clash.
            let address = "\(service.key)"
            if let other = seen[address] {
                throw ProxyConfigurationError.duplicateListener(service: service.name, other: other, address: address)
            }
            seen[address] = service.name
        }
        var built = CompiledServices()
        do {
            for service in services {
                guard let l7 = service.l7 else { throw ProxyConfigurationError.missingL7Settings(service: service.name) }
                let sink: AccessLogSink
                if let existing = built.sinks[l7.accessLog] ?? previous?.sinks[l7.accessLog] {
                    sink = existing
                } else {
                    sink = try AccessLogSink(target: l7.accessLog)
                }
                built.sinks[l7.accessLog] = sink
                built.checks.merge(PoolHealthChecks.checks(service: service.name, pools: l7.pools)) { _, new in new }
                var store: CertificateStore?
                if service.mode == .https, let tls = l7.tls, !tls.certificates.isEmpty {
                    store = try CertificateStore(tls, logger: logger)
                }
                built.runtimes[service.name] = try ServiceRuntime(
                    service, counters: previous?.runtimes[service.name]?.counters ?? ServiceCounters(),
                    accessLog: sink, certificates: store, health: EngineMemberHealth(engine: health, service: service.name), logger: logger,
                    upstreamTLS: UpstreamTLSContext.make)
            }
        } catch {
            for (target, sink) in built.sinks where previous?.sinks[target] !== sink {
                Task { await sink.shutdown() }
            }
            throw error
        }
        if let previous {
            built.retiredSinks = previous.sinks.compactMap { built.sinks[$0.key] === $0.value ? nil : $0.value }
        }
        self = built
    }

    /// Makes these the proxy's checked members: unchanged ones keep their state and schedule.
    func startHealthChecks(on engine: HealthEngine) {
        engine.update(checks, scope: PoolHealthChecks.scope)
    }

    /// Flushes the access logs this configuration no longer uses.
    func retire() async {
        for s in retiredSinks { await s.shutdown() }
    }

    func shutdown() async {
        for s in sinks.values { await s.shutdown() }
    }
}
