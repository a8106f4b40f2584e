/// One event loop's idle keep-alive connections to real servers, per member, most recently
/// used first. Loop-confined: no locks. Connections carrying a PROXY header belong to one
/// client connection and never come here (the proxy handler keeps those).
final class UpstreamConnectionPool {
    let maximumIdlePerMember: Int
    private var idle: [ObjectIdentifier: [UpstreamConnection]] = [:]

    init(maximumIdlePerMember: Int) {
        self.maximumIdlePerMember = maximumIdlePerMember
    }

    /// An idle connection to `member` that is still open, if any.
    func take(for member: PoolMemberRuntime) -> UpstreamConnection? {
        let key = ObjectIdentifier(member)
        while let c = idle[key]?.popLast() {
            if c.channel.isActive {
                c.handler.onClose = nil
                return c
            }
        }
        return nil
    }

    /// Keeps `connection` for the next request to its member, or closes it if the member
    /// already has enough idle connections.
    func release(_ connection: UpstreamConnection) {
        let key = ObjectIdentifier(connection.member)
        guard connection.channel.isActive, idle[key, default: []].count < maximumIdlePerMember else {
            connection.close()
            return
        }
        connection.handler.delegate = nil
        connection.handler.onClose = { [weak self, weak connection] in
            guard let self, let connection else { return }
            self.idle[key]?.removeAll { $0 === connection }
        }
        idle[key, default: []].append(connection)
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.count } }

    func closeAll() {
        let all = idle.values.flatMap { $0 }
        idle.removeAll()
        for c in all { c.close() }
    }
}
