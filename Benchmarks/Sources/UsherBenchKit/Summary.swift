/// The median and range of repeated measurements.
public struct Summary: Codable, Hashable, Sendable {
    public var median: Double
    public var min: Double
    public var max: Double
    public var samples: [Double]

    /// nil when there is no sample.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let sorted = samples.sorted()
        let n = sorted.count
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        min = sorted[0]
        max = sorted[n - 1]
        self.samples = samples
    }
}
