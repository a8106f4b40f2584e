/// Whether a service can take traffic, from its reals' states (as `RealView` says them).
public enum ServiceState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every real meant to take traffic (not a backup, not drained or disabled) can.
    case up
    /// Some of them cannot, or only a backup (sorry) server serves.
    case degraded
    /// No real can take a new flow.
    case down

    public init(reals: [RealView]) {
        var tally = Tally()
        for real in reals { tally.add(real.state, backup: real.backup == true) }
        self = tally.state
    }

    /// Counts a service's reals one by one (for readers that pass over 100,000 reals).
    public struct Tally: Sendable {
        private var primaries = 0, serving = 0, backupServes = false

        public init() {}

        public mutating func add(_ state: RealState, backup: Bool) {
            if backup {
                backupServes = backupServes || state.takesTraffic
            } else if state != .disabled, state != .draining {
                primaries += 1
                if state.takesTraffic { serving += 1 }
            }
        }

        public var state: ServiceState {
            if serving > 0 { return serving == primaries ? .up : .degraded }
            return backupServes ? .degraded : .down
        }
    }
}
