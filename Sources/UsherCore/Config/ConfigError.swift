/// One problem in a configuration: where it is, which field, what is wrong and what to write
/// instead. Prints as `FILE:LINE:COL: FIELD: message (hint)`, leaving out the parts that are
/// unknown (a config built by a command has no file or line).
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file the config was read from, if any.
    public var file: String?
    /// 1-based line and column of the offending value (or key, or enclosing item).
    public var line: Int?
    public var column: Int?
    /// The field's path in the config, e.g. `services[1].reals[0].address`; empty for problems
    /// of the file as a whole (unreadable, YAML syntax).
    public var field: String
    /// What is wrong, e.g. `"203.0.113.300" is not an IP address`.
    public var message: String
    /// What to write instead, e.g. `write an IPv4 address such as 203.0.113.10`.
    public var hint: String?

    public init(
        file: String? = nil, line: Int? = nil, column: Int? = nil,
        field: String, message: String, hint: String? = nil
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.field = String(Self.shortened(field, limit: 200))
        self.message = Self.shortenedQuotes(message)
        self.hint = hint.map(Self.shortenedQuotes)
    }

    /// `text` with every quoted run, and every unquoted word, longer than 64 characters cut to
    /// its first 40 and its length, so a huge value is never echoed back whole.
    static func shortenedQuotes(_ text: String) -> String {
        guard text.count > 64 else { return text }
        var out = "", run = "", inQuote = false
        func flush() {
            out += shortened(run, limit: 64)
            run = ""
        }
        for character in text {
            if character == "\"" {
                flush()
                out.append(character)
                inQuote.toggle()
            } else if !inQuote && character == " " {
                flush()
                out.append(character)
            } else {
                run.append(character)
            }
        }
        flush()
        return out
    }

    private static func shortened(_ text: String, limit: Int) -> Substring {
        text.count <= limit ? Substring(text) : text.prefix(40) + "… (\(text.count) characters)"
    }

    public var description: String {
        var location: [String] = []
        if let file { location.append(file) }
        if let line {
            location.append(String(line))
            if let column { location.append(String(column)) }
        }
        var parts: [String] = []
        if !location.isEmpty { parts.append(location.joined(separator: ":")) }
        if !field.isEmpty { parts.append(field) }
        parts.append(hint.map { "\(message) (\($0))" } ?? message)
        return parts.joined(separator: ": ")
    }
}
