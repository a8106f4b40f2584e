import Foundation
import UsherBPF
import UsherControl
import UsherCore
import UsherDaemon

/// One reading of everything the API, /metrics and the status page show of the L4 services:
/// the daemon's view (config, health) joined with the data plane's counters, by name.
struct OperatorView {
    struct Service {
        var config: VirtualService
        var state: ServiceState
        var reals: [RealView]
        var counters: ServiceStats?
        /// By the real's address, for the reals the data plane counts.
        var realCounters: [String: RealStats]
    }

    var daemon: DaemonView
    var services: [Service]
    /// The global counters; nil when the maps are not pinned.
    var global: [String: CounterValue]?

    /// `withCounters` false skips the data plane (pages that only show health).
    init(daemon: DaemonView, dataplane: Dataplane?, names: DataplaneState?, withCounters: Bool = true) throws {
        self.daemon = daemon
        let stats = withCounters ? try dataplane?.readStats() : nil
        global = stats?.global
        let serviceIDs = names?.serviceIDs ?? [:]
        let realIDs = names?.realIDs ?? [:]
        services = daemon.config.services.map { s in
            let reals = daemon.reals(of: s)
            var realCounters: [String: RealStats] = [:]
            if let stats, let ids = realIDs[s.key] {
                for real in s.reals {
                    if let id = ids[real.address], let counted = stats.reals[id] {
                        realCounters[real.address.description] = counted
                    }
                }
            }
            return Service(config: s, state: ServiceState(reals: reals), reals: reals,
                           counters: serviceIDs[s.key].flatMap { stats?.services[$0] }, realCounters: realCounters)
        }
    }

    /// Reals per state across every service (the status's summary).
    var realsByState: [String: Int] {
        services.reduce(into: [:]) { counts, s in for r in s.reals { counts[r.state.rawValue, default: 0] += 1 } }
    }
}
