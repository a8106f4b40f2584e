import NIOCore

/// What one event loop keeps for all the connections it serves: idle connections to real
/// servers and pending access log lines. Loop-confined, so the request path takes no lock.
final class LoopContext {
    let loop: EventLoop
    let upstreams: UpstreamConnectionPool
    let tuning: ProxyTuning
    /// The services as new connections on this loop get them; replaced by a reload.
    private(set) var services: [String: ServiceRuntime] = [:]
    /// This loop's counters per service name (kept across reloads), and their views for the
    /// runtimes in `services`.
    private(set) var stats: [String: LoopServiceStats] = [:]
    private var views: [String: ServiceStatsView] = [:]
    private var logBuffers: [ObjectIdentifier: AccessLogBuffer] = [:]

    init(loop: EventLoop, tuning: ProxyTuning) {
        self.loop = loop
        self.tuning = tuning
        self.upstreams = UpstreamConnectionPool(
            loop: loop, maximumIdlePerMember: tuning.maximumIdlePerMember, idleTimeout: tuning.upstreamIdleTimeout)
    }

    /// Makes `runtimes` what new connections get, with their counters laid out.
    func install(_ runtimes: [String: ServiceRuntime]) {
        services = runtimes
        var kept: [String: LoopServiceStats] = [:]
        var views: [String: ServiceStatsView] = [:]
        for (name, runtime) in runtimes {
            let s = stats[name] ?? LoopServiceStats()
            kept[name] = s
            views[name] = ServiceStatsView(runtime: runtime, stats: s)
        }
        stats = kept
        self.views = views
    }

    /// The counters of `runtime` on this loop (its view was made at install; a connection
    /// that outlived a reload of its service gets one made now).
    func statsView(for runtime: ServiceRuntime) -> ServiceStatsView {
        if let v = views[runtime.name], v.runtime == ObjectIdentifier(runtime) { return v }
        let s = stats[runtime.name] ?? LoopServiceStats()
        if stats[runtime.name] == nil { stats[runtime.name] = s }
        return ServiceStatsView(runtime: runtime, stats: s)
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

    init(group: EventLoopGroup, tuning: ProxyTuning) {
        var contexts: [ObjectIdentifier: NIOLoopBoundBox<LoopContext>] = [:]
        for loop in group.makeIterator() {
            contexts[ObjectIdentifier(loop)] = NIOLoopBoundBox.makeBoxSendingValue(
                LoopContext(loop: loop, tuning: tuning), eventLoop: loop)
        }
        self.contexts = contexts
    }

    /// The context of `loop`; call on that loop.
    subscript(loop: EventLoop) -> LoopContext? {
        contexts[ObjectIdentifier(loop)]?.value
    }

    /// Passes `value` through every loop in turn, where `body` adds that loop's share to it.
    func accumulate<T: Sendable>(_ value: T, _ body: @escaping @Sendable (LoopContext, inout T) -> Void) async -> T {
        var value = value
        for bound in contexts.values {
            let current = value
            if let next = try? await bound.eventLoop.submit({
                var v = current
                body(bound.value, &v)
                return v
            }).get() {
                value = next
            }
        }
        return value
    }

    /// Runs `body` on every loop, with its context; completes when all have.
    func forEach(_ body: @escaping @Sendable (LoopContext) -> EventLoopFuture<Void>) async {
        for bound in contexts.values {
            let loop = bound.eventLoop
            _ = try? await loop.flatSubmit { body(bound.value) }.get()
        }
    }
}
