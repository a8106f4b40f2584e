import Testing
@testable import UsherCore

/// The errors of parsing `yaml` as `usher.yaml`; records a failure if it parses.
func parseErrors(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigError] {
    do {
        let config = try ConfigLoader.parse(yaml: yaml, file: "usher.yaml")
        Issue.record("expected errors, got a config: \(config)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.errors
    }
}

/// Expects parsing `yaml` to fail with exactly one error, in usher.yaml at `line` (and
/// `column` if given), on `field`, whose message and hint contain the given texts.
func expectOneError(
    _ yaml: String, line: Int, column: Int? = nil, field: String, message: String, hint: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let errors = parseErrors(yaml, sourceLocation: sourceLocation)
    guard errors.count == 1, let e = errors.first else {
        Issue.record("expected one error, got \(errors.count):\n\(ConfigErrors(errors: errors))", sourceLocation: sourceLocation)
        return
    }
    #expect(e.file == "usher.yaml", sourceLocation: sourceLocation)
    #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
    if let column { #expect(e.column == column, "\(e)", sourceLocation: sourceLocation) }
    #expect(e.field == field, "\(e)", sourceLocation: sourceLocation)
    #expect(e.message.contains(message), "\(e)", sourceLocation: sourceLocation)
    if let hint { #expect(e.hint?.contains(hint) == true, "\(e)", sourceLocation: sourceLocation) }
}

/// A one-service file, valid with the defaults. Line numbers: `name` 2, `vip` 3, `port` 4,
/// `protocol` 5, `mode` 6, then each of `extra` from line 7, then `reals:` and each line of
/// `reals` (written relative to the list, e.g. `- address: 198.51.100.11`).
func serviceFile(
    name: String = "web", vip: String = "203.0.113.10", port: String = "80", proto: String = "tcp", mode: String = "dsr-l2",
    extra: [String] = [], reals: [String] = ["- address: 198.51.100.11"], before: String = ""
) -> String {
    var lines = ["services:", "  - name: \(name)", "    vip: \(vip)", "    port: \(port)", "    protocol: \(proto)", "    mode: \(mode)"]
    lines += extra.map { "    \($0)" }
    if !reals.isEmpty {
        lines.append("    reals:")
        lines += reals.map { "      \($0)" }
    }
    return lines.joined(separator: "\n") + "\n" + before
}
