/// One service runtime's counters on one event loop, laid out for the request path: the
/// service's counters, and each member's by (pool index, member index), resolved once when the
/// runtime is installed on the loop; a request finds its counters by two array indexes.
final class ServiceStatsView {
    /// The runtime whose pool and member indexes `members` follows.
    let runtime: ObjectIdentifier
    let service: LoopServiceStats
    private let members: [[LoopMemberStats]]
    private let poolLatency: [LatencyBox]

    init(runtime: ServiceRuntime, stats: LoopServiceStats) {
        self.runtime = ObjectIdentifier(runtime)
        self.service = stats
        var members: [[LoopMemberStats]] = Array(repeating: [], count: runtime.poolsInOrder.count)
        for pool in runtime.poolsInOrder {
            members[pool.index] = pool.members.map { stats.member(pool: pool.name, label: $0.label) }
        }
        self.members = members
        poolLatency = runtime.poolsInOrder.map { stats.latency(pool: $0.name) }
    }

    /// A finished exchange's duration, for its service and the pool that served it.
    func observe(_ seconds: Double, pool: PoolRuntime?) {
        service.latency.observe(seconds)
        if let pool, pool.index < poolLatency.count { poolLatency[pool.index].value.observe(seconds) }
    }

    func member(_ m: PoolMemberRuntime, of pool: PoolRuntime) -> LoopMemberStats {
        members[pool.index][m.index]
    }
}
