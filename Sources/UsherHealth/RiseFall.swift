import UsherCore

/// The rise/fall counting of one checked real, as HAProxy does it: an up real goes down after
/// `fall` consecutive failed checks; a down real comes back after `rise` consecutive passed
/// checks. A result that goes against the streak resets it.
struct RiseFall: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// In rotation; `failures` consecutive failed checks so far.
        case up(failures: Int)
        /// Out of rotation; `successes` consecutive passed checks so far.
        case down(successes: Int)
    }

    let rise: Int
    let fall: Int
    private(set) var state: State

    /// Values below 1 count as 1: one result is the least that can change anything.
    init(rise: Int, fall: Int, startingAt start: HealthState = .up) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
        self.state = start == .up ? .up(failures: 0) : .down(successes: 0)
    }

    var health: HealthState {
        if case .up = state { return .up }
        return .down
    }

    /// Records one check; returns the new state when this result changed it.
    mutating func record(passed: Bool) -> HealthState? {
        switch (state, passed) {
        case (.up, true):
            state = .up(failures: 0)
        case let (.up(failures), false):
            if failures + 1 >= fall {
                state = .down(successes: 0)
                return .down
            }
            state = .up(failures: failures + 1)
        case let (.down(successes), true):
            if successes + 1 >= rise {
                state = .up(failures: 0)
                return .up
            }
            state = .down(successes: successes + 1)
        case (.down, false):
            state = .down(successes: 0)
        }
        return nil
    }
}
