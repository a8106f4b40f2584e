import Foundation

/// What one wrk run (`wrk --latency`) printed: its totals, its latency distribution and its
/// errors. A run with errors or non-2xx answers is kept but flagged in the report: the figure
/// is then not of the job the others did.
public struct ProxyWrkOutput: Codable, Hashable, Sendable {
    public var requests: Int
    public var seconds: Double
    public var requestsPerSecond: Double
    public var p50Ms: Double
    public var p99Ms: Double
    /// Socket errors (connect, read, write, timeout) added up.
    public var socketErrors: Int
    public var non2xx: Int

    public enum ParseError: Error, CustomStringConvertible {
        case missing(String, output: String)

        public var description: String {
            switch self {
            case .missing(let what, let output):
                "wrk printed no \(what); its output was:\n\(output.split(separator: "\n").prefix(20).joined(separator: "\n"))"
            }
        }
    }

    init(requests: Int, seconds: Double, requestsPerSecond: Double, p50Ms: Double, p99Ms: Double, socketErrors: Int, non2xx: Int) {
        self.requests = requests
        self.seconds = seconds
        self.requestsPerSecond = requestsPerSecond
        self.p50Ms = p50Ms
        self.p99Ms = p99Ms
        self.socketErrors = socketErrors
        self.non2xx = non2xx
    }

    /// Parses wrk 4's report (`wrk --latency ...`).
    public init(parsing text: String) throws {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func line(_ prefix: String) -> String? { lines.first { $0.hasPrefix(prefix) } }
        guard let rps = line("Requests/sec:").flatMap({ Double($0.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) }) else {
            throw ParseError.missing("Requests/sec line", output: text)
        }
        // "394100 requests in 5.00s, 58.26MB read"
        guard let total = lines.first(where: { $0.contains(" requests in ") }) else {
            throw ParseError.missing("'N requests in T' line", output: text)
        }
        let words = total.split(separator: " ")
        guard let count = Int(words[0]), words.count > 3,
              let seconds = Self.milliseconds(String(words[3].trimmingCharacters(in: CharacterSet(charactersIn: ","))))
        else { throw ParseError.missing("request count and duration", output: text) }
        guard let p50 = line("50%").flatMap({ Self.milliseconds(String($0.split(separator: " ").last ?? "")) }),
              let p99 = line("99%").flatMap({ Self.milliseconds(String($0.split(separator: " ").last ?? "")) })
        else { throw ParseError.missing("latency distribution (was --latency given?)", output: text) }
        requests = count
        self.seconds = seconds / 1000
        requestsPerSecond = rps
        p50Ms = p50
        p99Ms = p99
        // "Socket errors: connect 0, read 12, write 0, timeout 3"
        socketErrors = line("Socket errors:").map { errors in
            errors.dropFirst("Socket errors:".count).split(separator: ",").compactMap { part in
                part.split(separator: " ").last.flatMap { Int($0) }
            }.reduce(0, +)
        } ?? 0
        non2xx = line("Non-2xx or 3xx responses:").flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    /// wrk's durations: `594.00us`, `1.31ms`, `2.00s`, `1.00m`, `1.00h`; in milliseconds.
    static func milliseconds(_ text: String) -> Double? {
        for (unit, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0), ("h", 3_600_000.0)] where text.hasSuffix(unit) {
            return Double(text.dropLast(unit.count)).map { $0 * scale }
        }
        return nil
    }
}
