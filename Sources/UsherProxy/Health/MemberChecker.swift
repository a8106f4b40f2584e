import Logging
import NIOCore
import Synchronization
import UsherCore

/// Checks one member of one pool forever (until stopped) on one event loop: a check, then the
/// next one `interval` later (±10 % jitter so members checked together drift apart), counting
/// rise/fall and publishing up/down in an atomic the request path reads without a lock.
final class MemberChecker: Sendable {
    let pool: String
    let member: PoolMember
    let eventLoop: EventLoop
    private let probe: HealthProbe
    private let interval: Double
    private let logger: Logger
    private let up = Atomic<Bool>(true)
    private let onChange: @Sendable (String, PoolMember, Bool) -> Void
    /// Touched only on `eventLoop`.
    private let loop: NIOLoopBoundBox<LoopState>

    private struct LoopState: Sendable {
        var health: HealthState
        var next: Scheduled<Void>?
        var running: EventLoopFuture<Void>?
        var stopped = false
    }

    init(
        pool: String, member: PoolMember, check: HealthCheck, probe: HealthProbe, eventLoop: EventLoop,
        logger: Logger, onChange: @escaping @Sendable (String, PoolMember, Bool) -> Void
    ) {
        self.pool = pool
        self.member = member
        self.eventLoop = eventLoop
        self.probe = probe
        self.interval = max(check.intervalSeconds, 0.01)
        self.logger = logger
        self.onChange = onChange
        self.loop = .makeBoxSendingValue(
            LoopState(health: HealthState(rise: check.rise, fall: check.fall)), eventLoop: eventLoop)
    }

    /// Lock-free; true until `fall` consecutive checks have failed.
    var isUp: Bool { up.load(ordering: .relaxed) }

    /// Runs the first check after a short random delay (up to one interval, at most 1 s), so a
    /// restart does not check every member in the same instant.
    func start() {
        eventLoop.execute {
            self.schedule(after: Double.random(in: 0...min(self.interval, 1)))
        }
    }

    /// No check starts after this; completes once a check in progress has finished.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.loop.value.stopped = true
            self.loop.value.next?.cancel()
            self.loop.value.next = nil
            return self.loop.value.running ?? self.eventLoop.makeSucceededVoidFuture()
        }
    }

    private func schedule(after seconds: Double) {
        guard !loop.value.stopped else { return }
        loop.value.next = eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) {
            self.runCheck()
        }
    }

    private func runCheck() {
        guard !loop.value.stopped else { return }
        loop.value.next = nil
        let running = probe.run(on: eventLoop).map { result in
            self.record(result)
        }
        loop.value.running = running
        running.whenComplete { _ in
            self.loop.value.running = nil
            self.schedule(after: self.interval * Double.random(in: 0.9...1.1))
        }
    }

    private func record(_ result: HealthProbeResult) {
        if case let .failed(reason) = result {
            logger.debug("health check failed", metadata: metadata(reason))
        }
        guard let nowUp = loop.value.health.record(passed: result.passed) else { return }
        up.store(nowUp, ordering: .relaxed)
        let health = loop.value.health
        switch result {
        case .passed:
            logger.notice("real server up", metadata: metadata("\(health.rise) consecutive checks passed"))
        case let .failed(reason):
            logger.warning("real server down", metadata: metadata("\(health.fall) consecutive checks failed, last: \(reason)"))
        }
        onChange(pool, member, nowUp)
    }

    private func metadata(_ reason: String) -> Logger.Metadata {
        ["pool": "\(pool)", "member": "\(probe.hostHeader)", "reason": "\(reason)"]
    }
}
