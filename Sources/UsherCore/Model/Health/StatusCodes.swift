import Foundation

/// The HTTP statuses a check accepts: single codes and ranges (`200-399`, `[200, 204]`).
public struct StatusCodes: Hashable, Sendable, Codable, CustomStringConvertible {
    public var ranges: [ClosedRange<Int>]

    public init(_ ranges: [ClosedRange<Int>]) {
        self.ranges = ranges
    }

    public init(_ code: Int) {
        self.ranges = [code...code]
    }

    public func contains(_ status: Int) -> Bool {
        ranges.contains { $0.contains(status) }
    }

    /// `200`, `200-399`, `200, 204`.
    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ", ")
    }

    /// One code (`200`) or a range (`200-399`); nil for anything else. Bounds are not judged here.
    public static func parseItem(_ text: String) -> ClosedRange<Int>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let low = Int(parts[0]), let high = Int(parts[parts.count - 1]), low <= high
        else { return nil }
        return low...high
    }

    /// A saved single code (states written when a check had one status) or a list of ranges.
    public init(from decoder: Decoder) throws {
        if let code = try? decoder.singleValueContainer().decode(Int.self) {
            self.init(code)
        } else {
            self.init(try decoder.singleValueContainer().decode([ClosedRange<Int>].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(ranges)
    }
}
