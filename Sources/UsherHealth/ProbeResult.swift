/// The outcome of one check of one real.
enum ProbeResult: Sendable, Equatable {
    case passed
    /// Why it failed, in words for the log and `HealthStatus.lastError` (e.g. "status 503, expected 200-399").
    case failed(String)

    var passed: Bool { self == .passed }

    var reason: String? {
        if case let .failed(reason) = self { return reason }
        return nil
    }
}
