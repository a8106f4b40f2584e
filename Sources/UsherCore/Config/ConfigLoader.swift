import Foundation
import Yams

/// Reads a config file (the YAML format of Docs/CONFIG.md: `interfaces`, `encapsulation`,
/// `snat-pools`, `nat`, `api`, `sync`, `bgp`, `logging`, `alerts`, `services`), checks it completely, and
/// returns the model — or throws `ConfigErrors` listing every problem, each with its file, line,
/// column and field.
public enum ConfigLoader {
    /// A check that needs more than the domain model knows (that a key belongs to its
    /// certificate takes a TLS library): run on a config that passed every other check, its
    /// issues located like the validator's.
    public typealias ExtraCheck = @Sendable (BalancerConfig) -> [ValidationIssue]

    /// Reads and checks the file at `path`.
    public static func load(path: String, extraChecks: [ExtraCheck] = []) throws(ConfigErrors) -> BalancerConfig {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw ConfigErrors(errors: [ConfigError(file: path, field: "", message: "cannot read the config file: \(reason)",
                                                    hint: "check the path and that the file is readable")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(errors: [notUTF8(data, file: path)])
        }
        return try parse(yaml: text, file: path, extraChecks: extraChecks)
    }

    /// Where the first byte that is not UTF-8 is, and what it probably is.
    static func notUTF8(_ data: Data, file: String) -> ConfigError {
        let bytes = [UInt8](data)
        var line = 1, lineStart = 0, i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length = b < 0x80 ? 1 : b >> 5 == 0b110 ? 2 : b >> 4 == 0b1110 ? 3 : b >> 3 == 0b11110 ? 4 : 0
            let valid = length > 0 && i + length <= bytes.count && bytes[(i + 1)..<(i + length)].allSatisfy { $0 >> 6 == 0b10 }
                && String(bytes: bytes[i..<(i + length)], encoding: .utf8) != nil
            if !valid {
                let latin1 = b >= 0xa0 ? String(UnicodeScalar(b)) : nil
                let column = String(decoding: bytes[lineStart..<i], as: UTF8.self).count + 1
                return ConfigError(file: file, line: line, column: column, field: "",
                                   message: String(format: "byte 0x%02X is not UTF-8", b) + (latin1.map { " (\"\($0)\" in Latin-1?)" } ?? ""),
                                   hint: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
            }
            if b == UInt8(ascii: "\n") {
                line += 1
                lineStart = i + 1
            }
            i += length
        }
        return ConfigError(file: file, field: "", message: "the config file is not UTF-8 text", hint: "save it as UTF-8")
    }

    /// Checks `yaml`; `file` is only used to name the source in errors.
    public static func parse(yaml: String, file: String, extraChecks: [ExtraCheck] = []) throws(ConfigErrors) -> BalancerConfig {
        // A key or certificate given by mistake: say so without quoting any of it.
        if let line = yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(where: { $0.hasPrefix("-----BEGIN ") }) {
            let key = yaml.contains("PRIVATE KEY-----")
            throw ConfigErrors(errors: [ConfigError(
                file: file, line: line + 1, column: 1, field: "",
                message: "this is PEM data (\(key ? "a private key" : "a certificate or key")), not a config; none of it is shown",
                hint: "give the config file with -f; certificates and keys are named inside it (`tls: certificates:`)")])
        }
        let root: Node?
        do {
            // The basic resolver: a plain scalar is text (the reader converts each field itself),
            // so no scalar goes through Yams' regular expressions for ints, floats, bools and
            // timestamps — a third of the time of reading 1000 services × 100 reals.
            root = try Yams.compose(yaml: yaml, .basic)
        } catch {
            throw ConfigErrors(errors: [YAMLSyntaxError.describe(error, yaml: yaml, file: file)])
        }
        guard let root else {
            throw ConfigErrors(errors: [ConfigError(file: file, line: 1, column: 1, field: "", message: "the config file is empty",
                                                    hint: "a config needs at least `services:` with a list of virtual services")])
        }
        var reader = ConfigReader()
        let read = reader.readConfig(root)
        var located: [ConfigError] = reader.issues.map {
            ConfigError(file: file, line: $0.mark?.line, column: $0.mark?.column, field: $0.path.description,
                        message: $0.message, hint: $0.hint)
        }
        let unreadable = Set(reader.issues.map(\.path))
        var issues = ConfigValidator.issues(read.config)
        if located.isEmpty && issues.isEmpty { issues = extraChecks.flatMap { $0(read.config) } }
        for issue in issues {
            let path = read.filePath(issue.path)
            // A consequence of a field (or of something inside it) that is in the file but
            // unreadable, or the field itself: already reported.
            if let absent = issue.absent.map(read.filePath),
               unreadable.contains(where: { $0.components.starts(with: absent.components) }) { continue }
            if unreadable.contains(path) { continue }
            let mark = reader.mark(of: path)
            let message = issue.fullMessage { related in
                let relatedPath = read.filePath(related)
                return reader.mark(of: relatedPath).map { "\(relatedPath) (line \($0.line))" } ?? relatedPath.description
            }
            located.append(ConfigError(file: file, line: mark?.line, column: mark?.column, field: path.description,
                                       message: message, hint: issue.hint))
        }
        guard located.isEmpty else {
            // File order; problems found in one pass keep their relative order.
            let sorted = located.enumerated().sorted { a, b in
                let ka = (a.element.line ?? 0, a.element.column ?? 0, a.offset)
                let kb = (b.element.line ?? 0, b.element.column ?? 0, b.offset)
                return ka < kb
            }
            throw ConfigErrors(errors: sorted.map(\.element))
        }
        return read.config
    }
}
