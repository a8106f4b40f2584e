import UsherCore

/// Whether a pool member may take requests, as the health checks see it. Read on the request
/// path, so implementations answer without locks.
protocol MemberHealthSource: Sendable {
    func isUp(pool: String, member: PoolMember) -> Bool
}

/// For pools without health checks: every member is up (weight 0 still drains it).
struct AlwaysUp: MemberHealthSource {
    func isUp(pool: String, member: PoolMember) -> Bool { true }
}
