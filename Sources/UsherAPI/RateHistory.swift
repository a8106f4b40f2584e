import Foundation
import Synchronization

/// Packet, byte and request rates over the last 15 minutes, one sample per interval: what the
/// status page draws. A fixed ring, filled by the daemon from the counters it reads anyway.
final class RateHistory: Sendable {
    struct Sample: Sendable {
        var at: Date
        var packetsPerSecond: Double
        var bytesPerSecond: Double
        var requestsPerSecond: Double
    }

    /// The totals a sample is the difference of.
    struct Totals: Sendable {
        var at: Date
        var packets: UInt64
        var bytes: UInt64
        var requests: UInt64
    }

    let interval: Duration
    let capacity: Int
    private let state = Mutex<(ring: [Sample], last: Totals?)>(([], nil))

    init(interval: Duration = .seconds(5), span: Duration = .seconds(15 * 60)) {
        self.interval = interval
        capacity = Int(span.components.seconds / max(1, interval.components.seconds))
    }

    /// Adds the rates since the last totals (a counter that went back, as after a restart of
    /// the proxy, counts as 0 for that interval).
    func record(_ totals: Totals) {
        state.withLock { state in
            defer { state.last = totals }
            guard let last = state.last else { return }
            let seconds = totals.at.timeIntervalSince(last.at)
            guard seconds > 0 else { return }
            func rate(_ now: UInt64, _ before: UInt64) -> Double { now >= before ? Double(now - before) / seconds : 0 }
            state.ring.append(Sample(at: totals.at, packetsPerSecond: rate(totals.packets, last.packets),
                                     bytesPerSecond: rate(totals.bytes, last.bytes),
                                     requestsPerSecond: rate(totals.requests, last.requests)))
            if state.ring.count > capacity { state.ring.removeFirst(state.ring.count - capacity) }
        }
    }

    /// Oldest first.
    func samples() -> [Sample] {
        state.withLock { $0.ring }
    }
}
