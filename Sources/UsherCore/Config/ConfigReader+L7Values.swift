import Yams

/// Values of the L7 settings written with units: sizes (`10MiB`), durations (`500ms`), and
/// `true`/`false`.
extension ConfigReader {
    static let byteUnits: [(String, Int)] = [("", 1), ("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)]
    static let durationUnits: [(String, Double)] = [("", 1), ("s", 1), ("ms", 0.001), ("m", 60), ("h", 3600)]

    /// `true` or `false`.
    mutating func boolean(_ node: Node, at path: FieldPath, what: String) -> Bool? {
        let hint = "write true or false"
        guard let text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            let guess: String?
            switch text.lowercased() {
            case "yes", "on", "y", "1", "true": guess = "true"
            case "no", "off", "n", "0", "false": guess = "false"
            default: guess = nil
            }
            report(path, at: node.mark, "\(what) \"\(text)\" is neither true nor false", hint: guess.map { "write \($0)" } ?? hint)
            return nil
        }
    }

    /// A number of bytes: `16384`, or a whole number with KiB, MiB or GiB (powers of 1024).
    /// `perSecond`: a rate, which may end in `/s` (`1KiB/s`).
    mutating func byteSize(_ node: Node, at path: FieldPath, what: String, perSecond: Bool = false) -> Int? {
        let hint = perSecond
            ? "write bytes per second, or a whole number with KiB, MiB or GiB, e.g. 500 or 1KiB/s"
            : "write a number of bytes, or a whole number with KiB, MiB or GiB, e.g. 16384 or 10MiB"
        guard var text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        if perSecond, text.hasSuffix("/s") { text.removeLast(2) }
        let (number, unit) = Self.splitNumber(text)
        let digits = number.hasPrefix("-") ? number.dropFirst() : Substring(number)
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else {
            report(path, at: node.mark, "\(what) \"\(text)\" is not a size", hint: hint)
            return nil
        }
        guard let multiplier = Self.byteUnits.first(where: { $0.0 == unit })?.1 else {
            // 10M, 10MB, 10mb, 10k: the binary unit of the same letter.
            let binary = ["k": "KiB", "m": "MiB", "g": "GiB"][unit.prefix(1).lowercased()]
            report(path, at: node.mark, "\(what) \"\(text)\" has an unknown unit \"\(unit)\"",
                   hint: binary.map { "sizes count in powers of 1024: write \(number)\($0)" } ?? hint)
            return nil
        }
        guard let value = Int(number), case let (bytes, false) = value.multipliedReportingOverflow(by: multiplier) else {
            report(path, at: node.mark, "\(what) \(text) is far out of range", hint: hint)
            return nil
        }
        return bytes
    }

    /// A duration in seconds: `10` (seconds), or a number with ms, s, m or h: `500ms`, `1.5s`, `1m`.
    mutating func duration(_ node: Node, at path: FieldPath, what: String) -> Double? {
        let hint = "write seconds such as 10, or a number with ms, s, m or h, e.g. 500ms, 10s, 1m"
        guard let text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        let (number, unit) = Self.splitNumber(text)
        guard let value = Double(number), !number.hasPrefix("."), !number.hasSuffix("."), value.isFinite else {
            report(path, at: node.mark, "\(what) \"\(text)\" is not a duration", hint: hint)
            return nil
        }
        guard let multiplier = Self.durationUnits.first(where: { $0.0 == unit })?.1 else {
            let known = ["sec": "s", "secs": "s", "second": "s", "seconds": "s", "min": "m", "mins": "m", "minute": "m",
                         "minutes": "m", "msec": "ms", "millisecond": "ms", "milliseconds": "ms", "hour": "h", "hours": "h",
                         "S": "s", "MS": "ms", "M": "m", "H": "h", "us": "", "µs": ""]
            let better = known[unit].flatMap { $0.isEmpty ? nil : "write \(number)\($0)" }
            report(path, at: node.mark, "\(what) \"\(text)\" has an unknown unit \"\(unit)\"", hint: better ?? hint)
            return nil
        }
        return unit == "ms" ? value / 1000 : value * multiplier
    }

    /// `10MiB` → ("10", "MiB"); `1.5 s` → ("1.5", "s"); `abc` → ("", "abc").
    static func splitNumber(_ text: String) -> (number: String, unit: String) {
        var number = "", rest = Substring(text)
        if rest.first == "-" || rest.first == "+" {
            if rest.first == "-" { number.append("-") }
            rest = rest.dropFirst()
        }
        while let c = rest.first, c.isASCII, c.isNumber || c == "." {
            number.append(c)
            rest = rest.dropFirst()
        }
        return (number, String(rest.drop(while: { $0 == " " })))
    }
}
