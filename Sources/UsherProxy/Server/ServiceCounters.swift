import Synchronization

/// Counters of one service touched per connection (not per request), shared by all event
/// loops (atomics, relaxed): kept across reloads of the service's settings. Per-request counts
/// live per event loop (`LoopServiceStats`), where adding takes no atomic.
final class ServiceCounters: Sendable {
    /// Client connections open now.
    let connections = Atomic<Int>(0)
    /// Connections closed at accept because `maxConnections` were open.
    let refusedConnections = Atomic<Int>(0)
    /// Requests refused by the guards (4xx before any real server was asked).
    let rejectedRequests = Atomic<Int>(0)
    /// Header (408) and idle timeouts.
    let timeouts = Atomic<Int>(0)
    /// TLS handshakes completed, and connections closed before theirs completed.
    let tlsHandshakes = Atomic<Int>(0)
    let tlsHandshakeFailures = Atomic<Int>(0)

    init() {}

    /// Takes a connection slot if fewer than `limit` are in use.
    func admitConnection(limit: Int) -> Bool {
        var current = connections.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = connections.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        refusedConnections.add(1, ordering: .relaxed)
        return false
    }

    func releaseConnection() {
        connections.subtract(1, ordering: .relaxed)
    }
}
