extension ConfigValidator {
    /// What the config accepts for the numbers of an `http`/`https` service: wide enough for
    /// any real deployment, narrow enough to catch a unit slip (`header-timeout: 10000`).
    public enum L7Bounds {
        public static let maxRequestLineBytes: ClosedRange<Int> = 256...(1 << 20)
        public static let maxHeaderBytes: ClosedRange<Int> = 1024...(1 << 20)
        public static let maxHeaderCount: ClosedRange<Int> = 8...10_000
        public static let maxBodyBytes: ClosedRange<Int> = 1...Int.max
        public static let headerTimeoutSeconds: ClosedRange<Double> = 0.1...300
        public static let idleTimeoutSeconds: ClosedRange<Double> = 0.1...3600
        public static let maxConnections: ClosedRange<Int> = 1...1_000_000
        public static let bodyTimeoutSeconds: ClosedRange<Double> = 0.1...3600
        /// Bytes per second; 0 turns the rate off (the timeout alone, between reads).
        public static let minBodyRate: ClosedRange<Int> = 0...(1 << 30)
        public static let connectTimeoutSeconds: ClosedRange<Double> = 0.01...60
        public static let responseTimeoutSeconds: ClosedRange<Double> = 0.1...3600
        /// Health check interval; the timeout is above 0 and below the interval.
        public static let healthIntervalSeconds: ClosedRange<Double> = 0.1...3600
        public static let riseFall: ClosedRange<Int> = 1...100
        public static let expectStatus: ClosedRange<Int> = 100...599
        public static let redirectStatuses = [301, 302, 303, 307, 308]
    }

    /// `16384`, `64KiB`, `10MiB`, `1GiB`: the largest binary unit that divides `bytes`.
    static func describeBytes(_ bytes: Int) -> String {
        for (unit, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes != 0 && bytes % size == 0 {
            return "\(bytes / size)\(unit)"
        }
        return String(bytes)
    }

    /// `10s`, `1.5s`, `500ms`, `2m`, `1h`, as a user would write them.
    static func describeSeconds(_ seconds: Double) -> String {
        func whole(_ d: Double) -> String? {
            let r = (d * 1000).rounded() / 1000
            return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : nil
        }
        let magnitude = abs(seconds)
        if magnitude >= 3600, let h = whole(seconds / 3600), seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(h)h" }
        if magnitude >= 60, let m = whole(seconds / 60), seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(m)m" }
        if magnitude >= 1 || magnitude == 0 { return whole(seconds).map { "\($0)s" } ?? "\(seconds)s" }
        return whole(seconds * 1000).map { "\($0)ms" } ?? "\(seconds * 1000)ms"
    }

    /// "max-body 0 is below 1", with "use 1 to 1GiB" as the hint; nil when in range.
    static func boundsProblem(_ what: String, bytes value: Int, _ range: ClosedRange<Int>) -> (String, String)? {
        let top = range.upperBound == Int.max ? nil : describeBytes(range.upperBound)
        let hint = top.map { "use \(describeBytes(range.lowerBound)) to \($0)" } ?? "use at least \(describeBytes(range.lowerBound))"
        if value < range.lowerBound { return ("\(what) \(describeBytes(value)) is below \(describeBytes(range.lowerBound))", hint) }
        if value > range.upperBound { return ("\(what) \(describeBytes(value)) is above \(top ?? "")", hint) }
        return nil
    }

    static func boundsProblem(_ what: String, count value: Int, _ range: ClosedRange<Int>) -> (String, String)? {
        let hint = "use \(range.lowerBound) to \(range.upperBound)"
        if value < range.lowerBound { return ("\(what) \(value) is below \(range.lowerBound)", hint) }
        if value > range.upperBound { return ("\(what) \(value) is above \(range.upperBound)", hint) }
        return nil
    }

    static func boundsProblem(_ what: String, seconds value: Double, _ range: ClosedRange<Double>) -> (String, String)? {
        let hint = "use \(describeSeconds(range.lowerBound)) to \(describeSeconds(range.upperBound))"
        if !(value >= range.lowerBound) { return ("\(what) \(describeSeconds(value)) is below \(describeSeconds(range.lowerBound))", hint) }
        if value > range.upperBound { return ("\(what) \(describeSeconds(value)) is above \(describeSeconds(range.upperBound))", hint) }
        return nil
    }
}
