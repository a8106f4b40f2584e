/// When a keepalived that died is started again: after 1 s, doubling up to 30 s while it keeps
/// dying within 10 s of its start, back to 1 s once it has run that long. A state of its own,
/// so the supervisor only does what it says.
struct RestartBackoff: Equatable {
    static let first = Duration.seconds(1)
    static let longest = Duration.seconds(30)
    /// A run this long counts as healthy: the next death waits `first` again.
    static let healthy = Duration.seconds(10)

    enum State: Equatable {
        case running(since: ContinuousClock.Instant)
        case waiting(until: ContinuousClock.Instant)
    }

    private(set) var state: State
    /// How long the next death waits.
    private(set) var delay = RestartBackoff.first

    init(startedAt: ContinuousClock.Instant) {
        state = .running(since: startedAt)
    }

    /// keepalived ended at `now`: when to start it again.
    mutating func exited(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if case let .running(since) = state, now - since >= Self.healthy { delay = Self.first }
        let at = now + delay
        delay = min(delay * 2, Self.longest)
        state = .waiting(until: at)
        return at
    }

    /// Whether keepalived should be started at `now`.
    func due(at now: ContinuousClock.Instant) -> Bool {
        if case let .waiting(until) = state { return now >= until }
        return false
    }

    /// It was started at `now` (or the start failed: then it waits as after a death).
    mutating func started(at now: ContinuousClock.Instant) {
        state = .running(since: now)
    }
}
