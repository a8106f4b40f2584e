/// `usher-bench PART --name value …`, read as the part asks for each option: a value that is not
/// a number in the option's range, an option given twice, or one the part does not take is a
/// usage error that names it, never a default taken in silence.
struct BenchOptions {
    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    private var values: [String: String] = [:]
    private var asked: Set<String> = []

    init(_ arguments: ArraySlice<String>) throws {
        var rest = arguments
        while let flag = rest.first {
            rest = rest.dropFirst()
            guard flag.hasPrefix("--"), flag.count > 2 else {
                throw UsageError(description: "'\(flag)' is not an option (options start with --)")
            }
            guard let value = rest.first, !value.hasPrefix("--") else {
                throw UsageError(description: "\(flag) needs a value")
            }
            let name = String(flag.dropFirst(2))
            guard values[name] == nil else { throw UsageError(description: "\(flag) is given twice") }
            values[name] = value
            rest = rest.dropFirst()
        }
    }

    mutating func string(_ name: String) -> String? {
        asked.insert(name)
        return values[name]
    }

    /// A whole number in `range`, or nil when not given.
    mutating func integer<T: FixedWidthInteger>(_ name: String, _ range: ClosedRange<T>, as: T.Type = T.self) throws -> T? {
        guard let text = string(name) else { return nil }
        guard let value = T(text), range.contains(value) else {
            throw UsageError(description: "--\(name) '\(text)': give a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A number in `range` (seconds, percentages), or nil when not given.
    mutating func number(_ name: String, _ range: ClosedRange<Double>, what: String) throws -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw UsageError(description: "--\(name) '\(text)': give \(what)")
        }
        return value
    }

    /// A comma-separated list of whole numbers in `range`.
    mutating func integers<T: FixedWidthInteger>(_ name: String, _ range: ClosedRange<T>) throws -> [T]? {
        guard let text = string(name) else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { T($0) }.filter(range.contains)
        guard !parts.isEmpty, values.count == parts.count else {
            throw UsageError(description: "--\(name) '\(text)': give whole numbers from \(range.lowerBound) to \(range.upperBound), separated by commas")
        }
        return values
    }

    /// Throws for an option given that the part never asked for.
    func checkAllUsed(by part: String) throws {
        let unknown = values.keys.filter { !asked.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw UsageError(description: "\(unknown.map { "--\($0)" }.joined(separator: ", ")) is not an option of \(part)")
        }
    }
}
