import NIOCore

/// What one event loop keeps for all the connections it serves: idle connections to real
/// servers and pending access log lines. Loop-confined, so the request path takes no lock.
final class LoopContext {
    let loop: EventLoop
    let upstreams: UpstreamConnectionPool
    /// The services as new connections on this loop get them; replaced by a reload.
    var services: [String: ServiceRuntime] = [:]
    private var logBuffers: [ObjectIdentifier: AccessLogBuffer] = [:]

    init(loop: EventLoop, maximumIdlePerMember: Int) {
        self.loop = loop
        self.upstreams = UpstreamConnectionPool(maximumIdlePerMember: maximumIdlePerMember)
    }

    func logBuffer(for sink: AccessLogSink) -> AccessLogBuffer {
        let key = ObjectIdentifier(sink)
        if let b = logBuffers[key] { return b }
        let b = AccessLogBuffer(sink: sink, loop: loop)
        logBuffers[key] = b
        return b
    }

    /// Hands every pending line to its sink; completes when they are written.
    func flushLogs() -> EventLoopFuture<Void> {
        let futures = logBuffers.values.map { $0.flush() }
        return EventLoopFuture.andAllComplete(futures, on: loop)
    }

    var droppedLogLines: Int { logBuffers.values.reduce(0) { $0 + $1.droppedLines } }
}

/// Every event loop's `LoopContext`, fixed at start: looked up without locks.
struct LoopTable: Sendable {
    private let contexts: [ObjectIdentifier: NIOLoopBoundBox<LoopContext>]

    init(group: EventLoopGroup, maximumIdlePerMember: Int) {
        var contexts: [ObjectIdentifier: NIOLoopBoundBox<LoopContext>] = [:]
        for loop in group.makeIterator() {
            contexts[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                LoopContext(loop: loop, maximumIdlePerMember: maximumIdlePerMember), eventLoop: loop)
        }
        self.contexts = contexts
    }

    /// The context of `loop`; call on that loop.
    subscript(loop: EventLoop) -> LoopContext? {
        contexts[ObjectIdentifier(loop)]?.value
    }

    /// Runs `body` on every loop, with its context; completes when all have.
    func forEach(_ body: @escaping @Sendable (LoopContext) -> EventLoopFuture<Void>) async {
        for bound in contexts.values {
            let loop = bound.eventLoop
            _ = try? await loop.flatSubmit { body(bound.value) }.get()
        }
    }
}
