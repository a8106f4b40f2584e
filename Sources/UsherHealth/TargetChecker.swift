import Foundation
import Logging
import NIOCore
import Synchronization
import UsherCore

/// Checks one target forever (until stopped) on one event loop: the first check after a random
/// delay within the interval, then one every interval ±10 % (so targets checked together drift
/// apart), counting rise/fall. Its up/down sits in an atomic the request path reads without a
/// lock; its full status behind a mutex for `status()`.
final class TargetChecker: Sendable {
    let target: HealthTarget
    let check: HealthCheck
    let eventLoop: EventLoop
    private let probe: Probe
    private let interval: Double
    private let logger: Logger
    private let up: Atomic<Bool>
    private let current: Mutex<HealthStatus>
    private let onTransition: @Sendable (HealthTransition) -> Void
    /// Every finished check: passed, and how long it took (for /metrics).
    private let onResult: @Sendable (HealthTarget, Bool, Double) -> Void
    /// Touched only on `eventLoop`.
    private let loop: NIOLoopBoundBox<LoopState>

    private struct LoopState: Sendable {
        var counter: RiseFall
        var next: Scheduled<Void>?
        /// When the next check is due (uptime nanoseconds), before the tick's rounding.
        var due: UInt64 = 0
        var running: EventLoopFuture<Void>?
        var stopped = false
    }

    init(target: HealthTarget, check: HealthCheck, initial: HealthStatus, eventLoop: EventLoop, logger: Logger,
         onTransition: @escaping @Sendable (HealthTransition) -> Void,
         onResult: @escaping @Sendable (HealthTarget, Bool, Double) -> Void = { _, _, _ in }) {
        self.target = target
        self.onResult = onResult
        self.check = check
        self.eventLoop = eventLoop
        self.probe = Probe(check: check, target: target)
        self.interval = max(check.intervalSeconds, 0.01)
        self.logger = logger
        self.onTransition = onTransition
        self.up = Atomic(initial.state == .up || check.kind == .none)
        var status = initial
        if check.kind == .none, status.state == .down { status = HealthStatus(state: .up, since: Date()) }
        self.current = Mutex(status)
        self.loop = .makeBoxSendingValue(
            LoopState(counter: RiseFall(rise: check.rise, fall: check.fall, startingAt: status.state)), eventLoop: eventLoop)
    }

    /// Lock-free.
    var isUp: Bool { up.load(ordering: .relaxed) }

    var status: HealthStatus { current.withLock { $0 } }

    /// Schedules the first check at a random point within one interval (a `none` check never runs).
    func start() {
        guard check.kind != .none else { return }
        if case let .failure(error)? = probe.tls {
            logger.error("health checks of this real will fail: TLS unusable", metadata: metadata(error.reason))
        }
        eventLoop.execute {
            self.loop.value.due = NIODeadline.now().uptimeNanoseconds
            self.schedule(after: Double.random(in: 0...self.interval))
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

    /// Checks fall due on a grid of this many nanoseconds: the loop wakes once for every check due
    /// in a tick (10,000 reals every 2 s: 50 checks a wake-up, not one), and the prober gets them
    /// as a batch. No more than the ±10 % jitter of the shortest interval a config may set (0.1 s).
    static let tickNanoseconds: Int64 = 10_000_000

    /// The next check falls due `seconds` after the last one was due — not after it ended — so
    /// that a stall of the loop, which delays every check due meanwhile to the same moment,
    /// does not leave them bunched together for ever after; one that ran past its next due
    /// time (a timeout longer than the interval) goes at once.
    private func schedule(after seconds: Double) {
        guard !loop.value.stopped else { return }
        let tick = UInt64(Self.tickNanoseconds)
        let due = max(loop.value.due + UInt64(seconds * 1e9), NIODeadline.now().uptimeNanoseconds)
        loop.value.due = due
        loop.value.next = eventLoop.scheduleTask(deadline: .uptimeNanoseconds((due + tick - 1) / tick * tick)) {
            self.runCheck()
        }
    }

    private func runCheck() {
        guard !loop.value.stopped else { return }
        loop.value.next = nil
        let started = NIODeadline.now()
        let running = probe.run(on: eventLoop).map { result in
            let latency = Double((NIODeadline.now() - started).nanoseconds) / 1e9
            self.record(result, latency: latency)
        }
        loop.value.running = running
        running.whenComplete { _ in
            self.loop.value.running = nil
            self.schedule(after: self.interval * Double.random(in: 0.9...1.1))
        }
    }

    private func record(_ result: ProbeResult, latency: Double) {
        // Replaced or stopped while this check ran: its successor (if any) reports from now on.
        guard !loop.value.stopped else { return }
        onResult(target, result.passed, latency)
        let now = Date()
        if let reason = result.reason {
            logger.debug("health check failed", metadata: metadata(reason))
        }
        let change = loop.value.counter.record(passed: result.passed)
        let previous: HealthState = current.withLock { status in
            let previous = status.state
            status.lastCheck = now
            status.lastPassed = result.passed
            status.lastError = result.reason
            status.lastLatencySeconds = latency
            if let change, change != previous {
                status.state = change
                status.since = now
            }
            return previous
        }
        guard let change, change != previous else { return }
        up.store(change == .up, ordering: .relaxed)
        let reason = change == .up
            ? "\(check.rise) consecutive checks passed"
            : "\(check.fall) consecutive checks failed, last: \(result.reason ?? "")"
        var fields = metadata(reason)
        fields["from"] = "\(previous.rawValue)"
        fields["to"] = "\(change.rawValue)"
        if change == .up {
            logger.notice("real server up", metadata: fields)
        } else {
            logger.warning("real server down", metadata: fields)
        }
        onTransition(HealthTransition(target: target, from: previous, to: change, reason: reason, at: now))
    }

    private func metadata(_ reason: String) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "service": "\(target.service)",
            "real": "\(ProbeTarget(target, check: HealthCheck(kind: .none)).hostAndPort)",
            "check": "\(check.kind.name)",
            "reason": "\(reason)",
        ]
        if let pool = target.pool { fields["pool"] = "\(pool)" }
        return fields
    }
}
