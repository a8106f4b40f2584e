import UsherProxy

/// Writes metric families in the Prometheus text format (0.0.4): a HELP and a TYPE line once
/// per family, then its samples; label values escaped as the format says (`\\`, `\"`, `\n`).
/// Used for what is read from the data plane at each scrape, with no metric objects kept per
/// real (the per-real families go through `RealFamilies`, the fast path).
struct PrometheusText {
    private(set) var bytes: [UInt8] = []

    init(reserving capacity: Int = 1 << 16) {
        bytes.reserveCapacity(capacity)
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    enum Kind: String {
        case counter, gauge, histogram
    }

    /// Starts a family: `# HELP name help` and `# TYPE name kind`.
    mutating func family(_ name: String, _ kind: Kind, _ help: String) {
        append("# HELP \(name) \(help)\n# TYPE \(name) \(kind.rawValue)\n")
    }

    /// One sample: `name{label="value",...} value`.
    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: UInt64) {
        head(name, labels.map { ($0.key, $0.value) })
        append(String(value))
        bytes.append(0x0A)
    }

    mutating func sample(_ name: String, _ labels: [(String, String)], _ value: UInt64) {
        head(name, labels)
        append(String(value))
        bytes.append(0x0A)
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
        head(name, labels.map { ($0.key, $0.value) })
        append(Self.format(value))
        bytes.append(0x0A)
    }

    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        sample(name, labels, UInt64(max(0, value)))
    }

    /// A histogram's samples: `_bucket` per bound (cumulative, `le` label last), `_sum`, `_count`.
    mutating func histogram(_ name: String, _ labels: KeyValuePairs<String, String>, _ latency: LatencyHistogram) {
        let cumulative = latency.cumulative
        var pairs = labels.map { ($0.key, $0.value) }
        pairs.append(("le", ""))
        for (i, count) in cumulative.enumerated() {
            pairs[pairs.count - 1].1 = i < LatencyHistogram.bounds.count ? Self.format(LatencyHistogram.bounds[i]) : "+Inf"
            sample(name + "_bucket", pairs, UInt64(count))
        }
        sample(name + "_sum", labels, latency.sum)
        sample(name + "_count", labels, latency.count)
    }

    /// The escaped `key="value",…` text of a label set, to write many samples with it.
    static func labels(_ pairs: KeyValuePairs<String, String>) -> [UInt8] {
        var text = PrometheusText(reserving: 64)
        var first = true
        for (key, value) in pairs {
            if !first { text.bytes.append(UInt8(ascii: ",")) }
            first = false
            text.append(key)
            text.bytes.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
            text.escape(value)
            text.bytes.append(UInt8(ascii: "\""))
        }
        return text.bytes
    }

    mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func head(_ name: String, _ labels: [(String, String)]) {
        append(name)
        if !labels.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, value) in labels {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                append(key)
                bytes.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
                escape(value)
                bytes.append(UInt8(ascii: "\""))
            }
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    mutating func escape(_ value: String) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: bytes.append(byte)
            }
        }
    }

    /// Go's float formatting as Prometheus parses it: integers without a fraction, NaN, ±Inf.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
