/// Request durations in fixed buckets (Prometheus's `le` bounds, cumulative when exported):
/// what one event loop counted, merged across loops when read. No allocation per request.
public struct LatencyHistogram: Codable, Sendable, Equatable {
    /// Upper bounds in seconds; a last, unbounded bucket follows (+Inf).
    public static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Per bucket (not cumulative), `bounds.count + 1` of them.
    public var counts: [Int]
    public var sum: Double
    public var count: Int

    public init() {
        counts = Array(repeating: 0, count: Self.bounds.count + 1)
        sum = 0
        count = 0
    }

    public mutating func observe(_ seconds: Double) {
        var i = 0
        while i < Self.bounds.count && seconds > Self.bounds[i] { i += 1 }
        counts[i] += 1
        sum += seconds
        count += 1
    }

    public mutating func add(_ other: LatencyHistogram) {
        for i in counts.indices where i < other.counts.count { counts[i] += other.counts[i] }
        sum += other.sum
        count += other.count
    }

    /// Cumulative counts per bound, as `le` buckets (the last is +Inf, equal to `count`).
    public var cumulative: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }
}

/// One loop's histogram of one pool, shared by the per-runtime views that point at it.
final class LatencyBox {
    var value = LatencyHistogram()
}
