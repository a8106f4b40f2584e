import NIOCore

/// One event loop's idle keep-alive connections to real servers, per member, most recently
/// used last. Loop-confined: no locks. Connections carrying a PROXY header belong to one
/// client connection and never come here (the proxy handler keeps those).
///
/// A connection idle for `idleTimeout` is closed by the proxy (one timer per loop sweeps the
/// oldest ones, none per connection); one the real server closed first leaves the pool as soon
/// as the loop sees it close.
///
/// Taking and giving back allocate nothing: each member's list is an object of its own, found
/// by a plain dictionary read and changed in place (a dictionary entry changed through its
/// subscript cost three allocations per request), and a connection's close hook is set once,
/// at its first release, not at every one.
final class UpstreamConnectionPool {
    let maximumIdlePerMember: Int
    let idleTimeout: TimeAmount
    private let loop: EventLoop
    /// Per member; a list stays once made (a pool has few members), possibly empty.
    private var idle: [ObjectIdentifier: IdleList] = [:]
    private var sweep: Scheduled<Void>?

    init(loop: EventLoop, maximumIdlePerMember: Int, idleTimeout: TimeAmount) {
        self.loop = loop
        self.maximumIdlePerMember = maximumIdlePerMember
        self.idleTimeout = idleTimeout
    }

    /// The most recently used idle connection to `member` that is still open and not past
    /// its idle timeout, if any.
    func take(for member: PoolMemberRuntime) -> UpstreamConnection? {
        guard let list = idle[ObjectIdentifier(member)] else { return nil }
        let now = loop.now
        while let c = list.connections.popLast() {
            // Its close hook stays: once taken, it finds nothing of it to remove.
            if c.channel.isActive, now - c.idleSince < idleTimeout { return c }
            c.handler.onClose = nil
            c.close()
        }
        return nil
    }

    /// Keeps `connection` for the next request to its member, or closes it if the member
    /// already has enough idle connections.
    func release(_ connection: UpstreamConnection) {
        let key = ObjectIdentifier(connection.member)
        let list = idle[key] ?? makeList(key)
        guard connection.channel.isActive, list.connections.count < maximumIdlePerMember else {
            connection.close()
            return
        }
        connection.handler.delegate = nil
        connection.idleSince = loop.now
        if connection.handler.onClose == nil {
            connection.handler.onClose = { [weak self, weak connection] in
                guard let self, let connection else { return }
                self.idle[key]?.connections.removeAll { $0 === connection }
            }
        }
        list.connections.append(connection)
        if sweep == nil { scheduleSweep(at: connection.idleSince + idleTimeout) }
    }

    private func makeList(_ key: ObjectIdentifier) -> IdleList {
        let list = IdleList()
        idle[key] = list
        return list
    }

    var idleCount: Int { idle.values.reduce(0) { $0 + $1.connections.count } }

    func closeAll() {
        sweep?.cancel()
        sweep = nil
        let all = idle.values.flatMap { $0.connections }
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
        for list in idle.values {
            var expired = 0
            while expired < list.connections.count, now - list.connections[expired].idleSince >= idleTimeout { expired += 1 }
            let gone = list.connections[..<expired]
            list.connections.removeFirst(expired)
            for c in gone {
                c.handler.onClose = nil
                c.close()
            }
            if let oldest = list.connections.first {
                let at = oldest.idleSince + idleTimeout
                next = next.map { min($0, at) } ?? at
            }
        }
        if let next { scheduleSweep(at: next) }
    }
}

/// One member's idle connections, most recently used last.
private final class IdleList {
    var connections: [UpstreamConnection] = []
}
