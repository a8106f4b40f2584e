import Dispatch
import UsherBPF

/// Runs the flow tables' work (whole-map reads, writes) on a thread of its own, one call at a
/// time: a scan of a large table blocks for a while, and must not hold a thread of Swift's
/// cooperative pool, which the daemon's other services (and its watchdog) share.
final class SyncTableWorker: @unchecked Sendable {
    // Only touched on `queue`.
    private let tables: FlowTableSync
    private let queue = DispatchQueue(label: "usher.sync.tables")

    init(_ tables: FlowTableSync) {
        self.tables = tables
    }

    /// `body` run on the worker's thread with the tables; its result or error.
    func run<T: Sendable>(_ body: @escaping @Sendable (FlowTableSync) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self.tables) }) }
        }
    }
}
