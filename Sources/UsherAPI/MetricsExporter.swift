import Foundation
import Logging
import Prometheus
import Synchronization
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon
import UsherProxy

/// `/metrics`: what the daemon counts itself (health-check durations, transitions, reloads) in a
/// swift-prometheus registry, and what it reads at each scrape (the data plane's per-CPU
/// counters, the reals' states and weights, the proxy's counters) written straight into the
/// text, so a scrape of 100,000 reals keeps no metric object per real. Names follow HAProxy's
/// exporter: `usher_service_*`, `usher_real_*`, a one-hot `state` label.
public final class MetricsExporter: Sendable {
    let registry = PrometheusCollectorRegistry()
    let controller: Controller
    let proxy: ProxyServer?
    private let checkDurations = Mutex<[String: DurationHistogram]>([:])
    private let sampled = Mutex<Sampled>(Sampled())
    private let realLabels = Mutex<RealLabels?>(nil)
    private let worker = DispatchQueue(label: "usher.metrics")
    private let startedAt = Date()

    /// What costs a pass over the flow tables, read every few seconds rather than per scrape.
    struct Sampled: Sendable {
        var flows: Int?
        var snatPorts: [IPAddress: Int] = [:]
    }

    static let checkBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                           .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                           .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]

    public init(controller: Controller, proxy: ProxyServer?) {
        self.controller = controller
        self.proxy = proxy
    }

    /// Every finished check (the engine's observer): its duration, by service and result.
    func observeCheck(_ target: HealthTarget, passed: Bool, seconds: Double) {
        let service = target.pool.map { "\(target.service)/\($0)" } ?? target.service
        let key = service + (passed ? "\u{0}ok" : "\u{0}failed")
        let histogram = checkDurations.withLock { histograms in
            if let existing = histograms[key] { return existing }
            let made = registry.makeDurationHistogram(
                descriptor: MetricNameDescriptor(namespace: "usher", subsystem: "health", metricName: "check_duration",
                                                 unitName: "seconds", helpText: "Time each health check took, by service and result."),
                labels: [("service", service), ("result", passed ? "ok" : "failed")], buckets: Self.checkBuckets)
            histograms[key] = made
            return made
        }
        histogram.record(.nanoseconds(Int64(seconds * 1e9)))
    }

    /// Counts the daemon's events until they end (transitions, applies, reloads, errors).
    func countEvents(_ events: AsyncStream<DaemonEvent>) async {
        for await event in events {
            switch event.kind {
            case .realState:
                counter("health_transitions", "State changes of checked reals, by service and the state entered.",
                        [("service", event.pool.map { "\(event.service ?? "")/\($0)" } ?? event.service ?? ""),
                         ("state", event.state ?? "")]).increment()
            case .reload:
                counter("config_reloads", "Reloads of the config file, by result.",
                        [("result", event.severity == .error ? "refused" : "ok")]).increment()
            case .apply:
                counter("config_applies", "Applies of the config or of a runtime change.", []).increment()
            case .error:
                counter("daemon_errors", "Failures the daemon logged and retries.", []).increment()
            case .serviceState:
                break
            }
        }
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)]) -> Counter {
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "usher", metricName: name, unitName: "total",
                                                              helpText: help), labels: labels)
    }

    /// Reads the flow tables' occupancy and SNAT ports (a pass over each table: seconds at
    /// millions of flows, so on the exporter's own thread).
    func sampleFlowTables() async {
        try? await offPool {
            guard self.controller.mapsArePinned, let dataplane = try? self.controller.dataplane(create: false) else { return }
            let flows = try? dataplane.trackedFlows(limit: 0).total
            let ports = (try? dataplane.snatPortsInUse()) ?? [:]
            self.sampled.withLock { $0 = Sampled(flows: flows, snatPorts: ports) }
        }
    }

    /// One scrape of the running daemon, rendered on the exporter's own thread (a large one
    /// takes a fifth of a second).
    func scrape(_ daemon: Daemon) async throws -> [UInt8] {
        let view = await daemon.view()
        let stats = await proxy?.statistics()
        return try await offPool { try self.render(view, proxy: stats) }
    }

    /// `body` on the exporter's thread: what blocks for long (whole-map reads, a large render)
    /// must not hold a thread of Swift's cooperative pool, which every service of the daemon
    /// (and its watchdog) shares. One at a time.
    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            worker.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The registry's families, then what is read now: `view` joined with the data plane's
    /// counters (a few batch reads of the per-CPU maps), the proxy's counters, and last the
    /// per-real families (most of the text).
    public func render(_ view: DaemonView, proxy stats: ProxyStatistics?) throws -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity(1 << 16)
        registry.emit(into: &raw)
        var text = PrometheusText(bytes: raw)
        let pinned = controller.mapsArePinned
        let counters = pinned ? try controller.dataplane(create: false).readStats() : nil
        let names = pinned ? try controller.loadDataplaneState() : nil
        let services = view.config.services
        let reals = RealFamilies(services: services, health: view.health, labels: labels(of: services),
                                 names: names, stats: counters)
        writeDaemon(view, into: &text)
        if let global = counters?.global { writeDataplane(global, into: &text) }
        writeServices(services, states: reals.serviceStates, counters: counters.map { counters in
            let ids = names?.serviceIDs ?? [:]
            return services.map { ids[$0.key].flatMap { counters.services[$0] } }
        }, into: &text)
        writeFlowTables(into: &text)
        if let bgp = view.status.bgp { writeBGP(bgp, into: &text) }
        if let stats { writeProxy(stats, into: &text) }
        return reals.written(after: text.bytes)
    }

    /// The label text of `services`' reals: the kept one while they are the same.
    private func labels(of services: [VirtualService]) -> RealLabels {
        realLabels.withLock { kept in
            if let kept, kept.fits(services) { return kept }
            let made = RealLabels(services)
            kept = made
            return made
        }
    }

    private func writeDaemon(_ view: DaemonView, into text: inout PrometheusText) {
        text.family("usher_daemon_start_time_seconds", .gauge, "When the daemon started, in seconds since the epoch.")
        text.sample("usher_daemon_start_time_seconds", [:], startedAt.timeIntervalSince1970.rounded())
        text.family("usher_config_generation", .gauge, "Reloads the daemon has made (SIGHUP, usher reload, the API).")
        text.sample("usher_config_generation", [:], view.status.generation)
        if let reload = view.status.lastReload {
            text.family("usher_config_last_reload_timestamp_seconds", .gauge, "When the last reload ended.")
            text.sample("usher_config_last_reload_timestamp_seconds", [:], reload.at.timeIntervalSince1970.rounded())
            text.family("usher_config_last_reload_success", .gauge, "1 when the last reload went through, 0 when refused.")
            text.sample("usher_config_last_reload_success", [:], reload.ok ? 1 : 0)
        }
    }

    private func writeFlowTables(into text: inout PrometheusText) {
        let sampled = sampled.withLock { $0 }
        if let flows = sampled.flows {
            text.family("usher_flows_tracked", .gauge, "Flows in the data plane's tables (dsr and nat), read every 15 s.")
            text.sample("usher_flows_tracked", [:], flows)
        }
        text.family("usher_snat_ports_in_use", .gauge, "SNAT ports held by nat flows, per pool address, read every 15 s.")
        for (address, count) in sampled.snatPorts.sorted(by: { $0.key < $1.key }) {
            text.sample("usher_snat_ports_in_use", ["address": address.description], count)
        }
    }
}
