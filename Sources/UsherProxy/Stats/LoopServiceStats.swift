/// What one event loop counted for one service (by name), and its members' counters by
/// (pool, member address). Created when a configuration is installed, never per request, and
/// kept across reloads for the services and members that stay. Loop-confined.
final class LoopServiceStats {
    var requests = 0
    var responses = ProxyStatistics.ResponseClasses()
    var bytesIn = 0
    var bytesOut = 0
    /// Each request's whole duration (head received to last byte sent), and per pool.
    var latency = LatencyHistogram()
    private(set) var poolLatency: [String: LatencyBox] = [:]
    private(set) var members: [MemberKey: LoopMemberStats] = [:]

    struct MemberKey: Hashable {
        let pool: String
        let member: String
    }

    func member(pool: String, label: String) -> LoopMemberStats {
        let key = MemberKey(pool: pool, member: label)
        if let m = members[key] { return m }
        let m = LoopMemberStats()
        members[key] = m
        return m
    }

    func latency(pool: String) -> LatencyBox {
        if let box = poolLatency[pool] { return box }
        let box = LatencyBox()
        poolLatency[pool] = box
        return box
    }

    func add(to s: inout ProxyStatistics.Service) {
        var latency = s.latency ?? LatencyHistogram()
        latency.add(self.latency)
        s.latency = latency
        s.requests += requests
        s.responses.add(responses)
        s.bytesIn += bytesIn
        s.bytesOut += bytesOut
        for p in s.pools.indices {
            if let box = poolLatency[s.pools[p].name] {
                var pool = s.pools[p].latency ?? LatencyHistogram()
                pool.add(box.value)
                s.pools[p].latency = pool
            }
            for m in s.pools[p].members.indices {
                members[MemberKey(pool: s.pools[p].name, member: s.pools[p].members[m].address)]?.add(to: &s.pools[p].members[m])
            }
        }
    }
}
