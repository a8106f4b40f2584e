import Foundation
import NIOCore
import UsherCore

extension ProxyServer {
    /// What every running service has counted, in the order of the configuration. Per-request
    /// counters are read on each event loop in turn (the request path adds to them without
    /// atomics or locks); connection counts and health are read as they are now. Meant for
    /// about one call a second.
    public func statistics() async -> ProxyStatistics {
        let (services, runtimes) = state.withLock { ($0.services, $0.compiled.runtimes) }
        var skeleton: [ProxyStatistics.Service] = []
        for service in services {
            guard let runtime = runtimes[service.name] else { continue }
            skeleton.append(Self.skeleton(of: runtime))
        }
        let counted = await loops.accumulate(skeleton) { context, services in
            for i in services.indices {
                context.stats[services[i].name]?.add(to: &services[i])
            }
        }
        return ProxyStatistics(writtenAt: Date(), pid: getpid(), services: counted)
    }

    private static func skeleton(of runtime: ServiceRuntime) -> ProxyStatistics.Service {
        let counters = runtime.counters
        let pools = runtime.poolsInOrder.map { pool in
            ProxyStatistics.Pool(name: pool.name, members: pool.members.map { m in
                let (state, checked) = pool.healthState(m.index)
                return ProxyStatistics.Member(
                    address: m.label, weight: m.member.weight, health: state, checked: checked,
                    activeRequests: m.active.load(ordering: .relaxed), openConnections: 0)
            })
        }
        return ProxyStatistics.Service(
            name: runtime.name, address: "\(runtime.service.key)", mode: runtime.service.mode.rawValue,
            connections: counters.connections.load(ordering: .relaxed),
            refusedConnections: counters.refusedConnections.load(ordering: .relaxed),
            rejectedRequests: counters.rejectedRequests.load(ordering: .relaxed),
            timeouts: counters.timeouts.load(ordering: .relaxed), pools: pools,
            tlsHandshakes: counters.tlsHandshakes.load(ordering: .relaxed),
            tlsHandshakeFailures: counters.tlsHandshakeFailures.load(ordering: .relaxed))
    }
}
