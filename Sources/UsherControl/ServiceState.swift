/// Whether a service can take traffic, from its reals' states (as `RealView` says them).
public enum ServiceState: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every real meant to take traffic (not a backup, not drained or disabled) can.
    case up
    /// Some of them cannot, or only a backup (sorry) server serves.
    case degraded
    /// No real can take a new flow.
    case down

    public init(reals: [RealView]) {
        let primaries = reals.filter { $0.backup != true && $0.state != "disabled" && $0.state != "draining" }
        let serving = primaries.filter { $0.takesTraffic }.count
        if serving > 0 {
            self = serving == primaries.count ? .up : .degraded
        } else {
            self = reals.contains { $0.backup == true && $0.takesTraffic && $0.state != "draining" } ? .degraded : .down
        }
    }
}

extension RealView {
    /// Up (checked and passing) or active (not checked): the tables give it new flows.
    public var takesTraffic: Bool { state == "up" || state == "active" }

    /// Every state a real can be in, for the one-hot `state` label of usher_real_state.
    public static let states = ["up", "down", "draining", "disabled", "active"]
}
