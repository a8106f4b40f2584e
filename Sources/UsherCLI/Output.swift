import Foundation

/// Prints a value as key-sorted JSON on stdout, every key in snake_case (one style for every
/// command). Pretty by default; `compact` prints one line, for streams (JSON Lines).
func printJSON<T: Encodable>(_ value: T, compact: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// A plain-text table with a header row, columns padded to their widest cell.
/// Columns listed in `numeric` are right-aligned.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    var numericColumns: Set<Int> = []

    init(_ header: [String], numeric: Set<Int> = []) {
        self.header = header
        numericColumns = numeric
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { col in all.map { $0.indices.contains(col) ? $0[col].count : 0 }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { col, cell in
                let pad = String(repeating: " ", count: max(0, widths[col] - cell.count))
                return numericColumns.contains(col) ? pad + cell : cell + pad
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }
}

/// 1234567 → "1.23M", for human tables; JSON always carries exact integers.
func humanCount(_ value: UInt64) -> String {
    let v = Double(value)
    switch v {
    case ..<10_000: return String(value)
    case ..<1_000_000: return String(format: "%.1fk", v / 1_000)
    case ..<1_000_000_000: return String(format: "%.2fM", v / 1_000_000)
    default: return String(format: "%.2fG", v / 1_000_000_000)
    }
}

/// Bytes as B/KiB/MiB/GiB.
func humanBytes(_ value: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(value), i = 0
    while v >= 1024, i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(value) B" : String(format: "%.1f %@", v, units[i])
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
