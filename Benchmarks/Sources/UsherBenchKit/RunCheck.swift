import UsherBPF

/// A measurement that cannot be trusted: the last iteration decided or left something else
/// than the path under test, or some iteration's packet was counted under another reason.
public struct BenchCheckError: Error, CustomStringConvertible {
    public let description: String
}

/// The checks every measured run passes before its time is kept.
public enum RunCheck {
    /// Checks the last iteration's verdict and frame, and that each of the `iterations` packets
    /// was counted under `reason` (and `event`), and under nothing else.
    public static func verify(_ run: BenchRun, subject: String, verdict: XDPVerdict, output expected: [UInt8]?,
                              before: StatsSnapshot?, after: StatsSnapshot?, reason: String?, event: String?) throws {
        guard run.verdict == verdict else {
            throw BenchCheckError(description: "\(subject): the last iteration returned \(run.verdict), not \(verdict)")
        }
        if let expected, run.output != expected {
            throw BenchCheckError(description: "\(subject): the last iteration left another frame than one packet of the path does " +
                "(\(run.output.count) bytes, expected \(expected.count))")
        }
        guard let before, let after else { return }
        let n = UInt64(run.iterations)
        func delta(_ name: String) -> UInt64 {
            (after.global[name]?.packets ?? 0) &- (before.global[name]?.packets ?? 0)
        }
        let total = after.totalPackets &- before.totalPackets
        guard total == n else {
            throw BenchCheckError(description: "\(subject): \(total) packets counted for \(n) iterations")
        }
        if let reason, delta(reason) != n {
            let elsewhere = StatsSnapshot.verdictCounterNames.filter { $0 != reason && delta($0) > 0 }
                .map { "\($0) \(delta($0))" }.joined(separator: ", ")
            throw BenchCheckError(description: "\(subject): \(delta(reason)) of \(n) packets counted as \(reason)" +
                (elsewhere.isEmpty ? "" : "; the others as \(elsewhere)"))
        }
        if let event, delta(event) != n {
            let events = ["ct_hit", "ct_new", "ct_confirmed", "ct_rescheduled"].map { "\($0) \(delta($0))" }.joined(separator: ", ")
            throw BenchCheckError(description: "\(subject): \(delta(event)) of \(n) packets counted as \(event) (\(events))")
        }
    }
}
