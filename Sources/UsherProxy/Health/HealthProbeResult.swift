/// The outcome of one health check of one member.
enum HealthProbeResult: Sendable, Equatable {
    case passed
    /// Why it failed, in words for the log (e.g. "status 503, expected 200").
    case failed(String)

    var passed: Bool { self == .passed }
}
