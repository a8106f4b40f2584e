import NIOCore

/// One event loop's idle keep-alive connections to real servers, per member, most recently
/// used last. Loop-confined: no locks. Connections carrying a PROXY header belong to one
/// client connection and never come here (the proxy handler keeps those).
///
/// A connection idle for `idleTimeout` is closed by the proxy (one timer per loop sweeps the
/// oldest ones, none per connection); one the real server closed first leaves the pool as soon
/// as the loop sees it close.
final class UpstreamConnectionPool {
    let maximumIdlePerMember: Int
    let idleTimeout: TimeAmount
    private let loop: EventLoop
    private var idle: [ObjectIdentifier: [UpstreamConnection]] = [:]
    private var sweep: Scheduled<Void>?

    init(loop: EventLoop, maximumIdlePerMember: Int, idleTimeout: TimeAmount) {
        self.loop = loop
        self.maximumIdlePerMember = maximumIdlePerMember
        self.idleTimeout = idleTimeout
    }

    /// The most recently used idle connection to `member` that is still open and not past
    /// its idle timeout, if any.
    func take(for member: PoolMemberRuntime) -> UpstreamConnection? {
        let key = ObjectIdentifier(member)
        let now = loop.now
        while let c = idle[key]?.popLast() {
            if c.channel.isActive, now - c.idleSince < idleTimeout {
                c.handler.onClose = nil
                return c
            }
            c.handler.onClose = nil
            c.close()
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
        connection.idleSince = loop.now
        connection.handler.onClose = { [weak self, weak connection] in
            guard let self, let connection else { return }
            self.idle[key]?.removeAll { $0 === connection }
        }
        idle[key, default: []].append(connection)
        if sweep == nil { scheduleSweep(at: connection.idleSince + idleTimeout) }
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.count } }

    func closeAll() {
        sweep?.cancel()
        sweep = nil
        let all = idle.values.flatMap { $0 }
        idle.removeAll()
        for c in all {
            c.handler.onClose = nil
            c.close()
        }
    }

    private func scheduleSweep(at deadline: NIODeadline) {
        sweep = loop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.sweep = nil
            self.closeExpired()
        }
    }

    /// Closes the connections past their idle timeout (the oldest of each member's list come
    /// first), then sleeps until the next one would be.
    private func closeExpired() {
        let now = loop.now
        var next: NIODeadline?
        for key in Array(idle.keys) {
            guard var list = idle[key] else { continue }
            var expired = 0
            while expired < list.count, now - list[expired].idleSince >= idleTimeout { expired += 1 }
            let gone = list[..<expired]
            list.removeFirst(expired)
            idle[key] = list.isEmpty ? nil : list
            for c in gone {
                c.handler.onClose = nil
                c.close()
            }
            if let oldest = list.first {
                let at = oldest.idleSince + idleTimeout
                next = next.map { min($0, at) } ?? at
            }
        }
        if let next { scheduleSweep(at: next) }
    }
}
