/// The rise/fall counting of one checked member, as HAProxy does it: a member starts up (it is
/// in rotation from the first request, before any check has run) and goes down after `fall`
/// consecutive failed checks; a down member comes back after `rise` consecutive passed checks.
/// A result that goes against the streak resets it.
struct HealthState: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// In rotation; `failures` consecutive failed checks so far.
        case up(failures: Int)
        /// Out of rotation; `successes` consecutive passed checks so far.
        case down(successes: Int)
    }

    let rise: Int
    let fall: Int
    private(set) var state: State = .up(failures: 0)

    /// Values below 1 count as 1: one result is the least that can change anything.
    init(rise: Int, fall: Int) {
        self.rise = max(1, rise)
        self.fall = max(1, fall)
    }

    var isUp: Bool {
        if case .up = state { return true }
        return false
    }

    /// Records one check; returns the new up/down value when this result changed it.
    mutating func record(passed: Bool) -> Bool? {
        switch (state, passed) {
        case (.up, true):
            state = .up(failures: 0)
        case let (.up(failures), false):
            if failures + 1 >= fall {
                state = .down(successes: 0)
                return false
            }
            state = .up(failures: failures + 1)
        case let (.down(successes), true):
            if successes + 1 >= rise {
                state = .up(failures: 0)
                return true
            }
            state = .down(successes: successes + 1)
        case (.down, false):
            state = .down(successes: 0)
        }
        return nil
    }
}
