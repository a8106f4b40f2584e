import Foundation
import UsherAPI
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon

/// `apply` of a large config: `services` services (VIPs of 203.0.113.0/24 on four ports) each
/// with the same `realsPerService` reals (each a membership of its own: 100,000 real entries
/// and 1,000 Maglev tables for 1,000 × 100), as `usher apply -f` does it: the YAML read and
/// checked, then the same `UsherControl.Controller` path as the CLI and the daemon (lock,
/// validate, diff, write the maps, save the state).
struct ApplyBench {
    var services: Int
    var realsPerService: Int
    var rounds: Int

    func run() throws -> [ControlPlaneResult.Timing] {
        let yaml = Self.yaml(services: services, reals: realsPerService)
        var parse: [Double] = [], cold: [Double] = [], same: [Double] = [], change: [Double] = [], scrape: [Double] = []
        var scrapeBytes = 0
        let label = "\(services) services × \(realsPerService) reals"
        for round in 0..<rounds {
            Progress.say("control-plane: apply of \(label), round \(round + 1) of \(rounds)")
            var start = monotonicNanoseconds()
            let config = try ConfigLoader.parse(yaml: yaml, file: "bench.yaml")
            parse.append(Self.ms(since: start))
            let pins = BenchPins()
            let state = FileManager.default.temporaryDirectory.appendingPathComponent("usher-bench-state-\(UUID())").path
            defer {
                pins.remove()
                try? FileManager.default.removeItem(atPath: state)
            }
            let controller = Controller(pinDirectory: pins.path, stateDirectory: state, resolver: NoNeighbors())
            start = monotonicNanoseconds()
            _ = try controller.replace(with: config, dryRun: false)
            cold.append(Self.ms(since: start))
            start = monotonicNanoseconds()
            _ = try controller.replace(with: config, dryRun: false)
            same.append(Self.ms(since: start))
            var changed = config
            changed.services[0].reals.append(RealServer(address: IPAddress("198.51.100.250")!, mac: MACAddress("02:00:00:00:02:fa")!))
            start = monotonicNanoseconds()
            _ = try controller.replace(with: changed, dryRun: false)
            change.append(Self.ms(since: start))
            // What the daemon's /metrics does for these tables, every real checked and up.
            var checked = changed
            for i in checked.services.indices { checked.services[i].healthCheck = HealthCheck(kind: .tcp) }
            let view = DaemonView(config: checked, health: Self.health(of: checked), status: DaemonStatus(
                pid: getpid(), configPath: "bench.yaml", startedAt: Date()))
            let exporter = MetricsExporter(controller: controller, proxy: nil)
            for _ in 0..<3 {
                start = monotonicNanoseconds()
                scrapeBytes = try exporter.render(view, proxy: nil).count
                scrape.append(Self.ms(since: start))
            }
        }
        return [
            .init(what: "read and check the YAML of \(label)", ms: Summary(parse)!),
            .init(what: "apply \(label) to empty maps", ms: Summary(cold)!),
            .init(what: "apply \(label) again, unchanged", ms: Summary(same)!),
            .init(what: "apply \(label) with one real added to one service", ms: Summary(change)!),
            .init(what: "a /metrics scrape of \(label), every real checked (\(scrapeBytes / 1_000_000) MB of text)",
                  ms: Summary(scrape)!),
        ]
    }

    /// Every real of every service checked and up, with a last check, as the daemon knows them.
    static func health(of config: BalancerConfig) -> [HealthTarget: RuntimeState.Entry] {
        var health: [HealthTarget: RuntimeState.Entry] = [:]
        let now = Date()
        for service in config.services {
            for real in service.reals {
                let target = service.healthTarget(of: real)
                var status = HealthStatus(state: .up, since: now)
                status.lastCheck = now
                status.lastPassed = true
                status.lastLatencySeconds = 0.0012
                health[target] = RuntimeState.Entry(target: target, status: status)
            }
        }
        return health
    }

    static func ms(since start: UInt64) -> Double { Double(monotonicNanoseconds() - start) / 1e6 }

    /// The config file: every real with its MAC (no neighbour resolution in the figure).
    static func yaml(services: Int, reals: Int) -> String {
        var lines = ["encapsulation:", "  source-v4: 198.51.100.192/26", "services:"]
        let ports = [80, 443, 8080, 8443]
        for s in 0..<services {
            let vip = "203.0.113.\(1 + s / ports.count)", port = ports[s % ports.count]
            lines += ["  - name: svc-\(s)", "    vip: \(vip)", "    port: \(port)", "    protocol: tcp",
                      "    mode: dsr-l2", "    reals:"]
            for r in 0..<reals {
                lines += ["      - address: 198.51.100.\(1 + r)", "        mac: 02:00:00:00:02:\(String(format: "%02x", 1 + r))"]
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
