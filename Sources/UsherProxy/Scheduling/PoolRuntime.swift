import Foundation
import NIOCore
import Synchronization
import UsherCore

/// A pool compiled for the request path: its members, the smooth weighted order, and one
/// shared atomic cursor into it. Choosing a member takes no lock: one atomic add, then reads
/// of the health states and (for least connections) the members' atomic counters.
final class PoolRuntime: Sendable {
    let pool: Pool
    /// Position among its service's pools (for per-loop counters).
    let index: Int
    let members: [PoolMemberRuntime]
    let sequence: SmoothWeightedSequence
    private let cursor = Atomic<UInt64>(0)
    private let health: any MemberHealthSource
    /// How connections to the members are opened (timeouts, PROXY header, TLS).
    let connector: UpstreamConnector

    var name: String { pool.name }
    var responseTimeout: TimeAmount { .nanoseconds(Int64(pool.responseTimeoutSeconds * 1e9)) }

    init(_ pool: Pool, index: Int = 0, health: any MemberHealthSource, connector: UpstreamConnector) throws {
        self.pool = pool
        self.index = index
        self.connector = connector
        self.members = try pool.members.enumerated().map {
            try PoolMemberRuntime(index: $0.offset, member: $0.element, poolName: pool.name)
        }
        // Plain round robin ignores weights except 0 (draining).
        let weights = pool.scheduler == .roundRobin
            ? pool.members.map { $0.weight > 0 ? UInt32(1) : 0 }
            : pool.members.map(\.weight)
        self.sequence = SmoothWeightedSequence(weights: weights)
        self.health = health
    }

    /// `up`, `down` or `draining`, and whether health checks run (for statistics).
    func healthState(_ index: Int) -> (state: String, checked: Bool) {
        let m = members[index]
        let state = m.member.weight == 0 ? "draining" : health.isUp(pool: pool.name, member: m.member) ? "up" : "down"
        return (state, pool.healthCheck != nil)
    }

    /// Whether a member may take a new request: weight above 0 and up.
    func isEligible(_ index: Int) -> Bool {
        let m = members[index]
        return m.member.weight > 0 && health.isUp(pool: pool.name, member: m.member)
    }

    /// The member for a request: by `affinity` (a hash of the client's key) when given, else by
    /// the pool's scheduler. `excluding` is a member that just failed to connect.
    /// Nil when no member is eligible.
    func choose(affinity: UInt64?, excluding: Int? = nil) -> PoolMemberRuntime? {
        if let key = affinity { return rendezvous(key, excluding: excluding) }
        guard !sequence.isEmpty else { return nil }
        let n = cursor.wrappingAdd(1, ordering: .relaxed).oldValue
        let count = UInt64(sequence.slots.count)
        switch pool.scheduler {
        case .roundRobin, .weightedRoundRobin:
            // A member that is down gives its turn to the next slot in the order.
            for step in 0..<count {
                let i = sequence.slots[Int((n &+ step) % count)]
                if i != excluding, isEligible(i) { return members[i] }
            }
            return nil
        case .leastConnections:
            return leastConnections(start: sequence.slots[Int(n % count)], excluding: excluding)
        }
    }

    /// Fewest exchanges per unit of weight; ties go to the first in weighted order from `start`.
    private func leastConnections(start: Int, excluding: Int?) -> PoolMemberRuntime? {
        var best: PoolMemberRuntime?
        var bestActive = 0
        for step in 0..<members.count {
            let i = (start + step) % members.count
            guard i != excluding, isEligible(i) else { continue }
            let m = members[i]
            let active = m.active.load(ordering: .relaxed)
            // active/weight < bestActive/bestWeight, without division.
            if let b = best {
                if UInt64(active) * UInt64(b.member.weight) < UInt64(bestActive) * UInt64(m.member.weight) {
                    best = m; bestActive = active
                }
            } else {
                best = m; bestActive = active
            }
        }
        return best
    }

    /// Weighted rendezvous hashing: each eligible member scores the key; the highest wins. A
    /// key keeps its member while that member stays up, whatever happens to the others.
    private func rendezvous(_ key: UInt64, excluding: Int?) -> PoolMemberRuntime? {
        var best: PoolMemberRuntime?
        var bestScore = -Double.infinity
        for m in members where m.index != excluding && isEligible(m.index) {
            let h = StableHash.mix(key ^ m.hashSeed)
            // Uniform in (0, 1), then -w/ln(u): larger weights win proportionally more keys.
            let u = (Double(h >> 11) + 0.5) / 9_007_199_254_740_992.0
            let score = -Double(m.member.weight) / log(u)
            if score > bestScore { best = m; bestScore = score }
        }
        return best
    }

    /// The member whose affinity cookie id this is, if it may take the request.
    func member(cookieID: Substring) -> PoolMemberRuntime? {
        guard let m = members.first(where: { $0.cookieID == cookieID }), isEligible(m.index) else { return nil }
        return m
    }
}
