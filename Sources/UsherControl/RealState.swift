import UsherCore

/// What a real can be doing, as `real list`, the API, the status page and `usher_real_state`
/// say it. A manual state (disabled, draining) wins over the health checks.
public enum RealState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Checked and passing: the tables give it new flows.
    case up
    /// Checked and failing: out of the tables.
    case down
    /// Weight 0: keeps its flows, gets no new ones.
    case draining
    /// Out of the tables by hand.
    case disabled
    /// Not checked: in the tables as the config says.
    case active

    /// Up or active: the tables give it new flows.
    public var takesTraffic: Bool { self == .up || self == .active }

    /// The state of `real`: `checked` when health checks watch it (and were read), `status`
    /// what they found. A checked real without a status yet counts as up (its first checks decide).
    public static func of(_ real: RealServer, checked: Bool, status: HealthStatus?) -> RealState {
        if real.disabled { return .disabled }
        if real.isDraining { return .draining }
        guard checked else { return .active }
        return status?.state == .down ? .down : .up
    }
}
