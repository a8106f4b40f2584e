import Foundation
import Yams

/// Turns a Yams/libyaml error into a located `ConfigError` with advice for the usual slips.
enum YAMLSyntaxError {
    static func describe(_ error: Error, yaml: String, file: String) -> ConfigError {
        guard let error = error as? YamlError else {
            return ConfigError(file: file, field: "", message: "cannot parse the YAML: \(error)")
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) that started on line \(context.mark.line))" }
            // An unclosed quote runs to the end of the file: point at where it opened.
            var at = mark
            if let context, context.text.contains("quoted scalar") { at = context.mark }
            return ConfigError(file: file, line: at.line, column: at.column, field: "", message: message,
                               hint: hint(problem: problem, context: context?.text, yaml: yaml, line: mark.line, column: mark.column))
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let second = secondOccurrence(of: key, after: first, in: yaml) ?? (first.line, first.column)
            let where_ = second.line == first.line ? "" : " (first on line \(first.line))"
            return ConfigError(file: file, line: second.line, column: second.column, field: "",
                               message: "key \"\(key)\" is given twice in the same mapping\(where_)",
                               hint: "keep one of them; for several items use a list (`- …`)")
        case let .reader(problem, offset, _, _):
            let (l, c) = offset.map { Self.position(ofCharacter: $0, in: yaml) } ?? (nil, nil)
            return ConfigError(file: file, line: l, column: c, field: "", message: "cannot read the YAML: \(problem)",
                               hint: "save the file as UTF-8 text")
        default:
            return ConfigError(file: file, field: "", message: "cannot parse the YAML: \(error)")
        }
    }

    private static func hint(problem: String, context: String?, yaml: String, line number: Int, column: Int) -> String {
        let line = Self.line(number, of: yaml)
        let atColumn = line.unicodeScalars.dropFirst(column - 1).first
        if line.contains("\t") || atColumn == "\t" {
            return "indent with spaces; YAML does not allow tabs"
        }
        if context?.contains("alias") == true || line.range(of: #":\s*\*\s*(#.*)?$"#, options: .regularExpression) != nil {
            return "a bare * starts a YAML alias; for every port write \"*\" in quotes"
        }
        if context?.contains("quoted scalar") == true {
            return "a quoted value is missing its closing quote"
        }
        if context?.contains("flow") == true {
            return "a `[` or `{` is not closed, or an item in it is missing"
        }
        if problem.contains("mapping values are not allowed") {
            // A `key value` line without its colon swallows the next line into one text.
            if let previous = (1..<number).reversed().lazy.map({ (n: $0, text: Self.line($0, of: yaml)) })
                .first(where: { !$0.text.trimmingCharacters(in: .whitespaces).isEmpty }),
               !previous.text.contains(":") {
                return "line \(previous.n) (`\(previous.text.trimmingCharacters(in: .whitespaces))`) has no colon: write `key: value`"
            }
            return "check the indentation of this line against the one above, and quote values that contain \": \""
        }
        if problem.contains("could not find expected ':'") {
            return "every field is `key: value`, with a space after the colon"
        }
        if problem.contains("did not find expected '-'") || problem.contains("did not find expected key") {
            return "items of a list start with `- ` and must line up; fields of a mapping must line up too"
        }
        return "check the indentation (spaces only) and that every field is `key: value`"
    }

    private static func line(_ number: Int, of text: String) -> String {
        var current = 1
        for l in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == number { return String(l) }
            current += 1
        }
        return ""
    }

    /// The next line after `first` where `key:` starts at the same column.
    private static func secondOccurrence(of key: String, after first: Mark, in yaml: String) -> (line: Int, column: Int)? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line >= 1 else { return nil }
        for index in first.line..<lines.count {
            let scalars = Array(lines[index].unicodeScalars)
            guard scalars.count >= first.column else { continue }
            let rest = String(String.UnicodeScalarView(scalars[(first.column - 1)...]))
            let before = scalars[..<(first.column - 1)]
            guard before.allSatisfy({ $0 == " " || $0 == "-" }), rest.hasPrefix(key) else { continue }
            let after = rest.dropFirst(key.count).drop(while: { $0 == " " })
            if after.hasPrefix(":") { return (index + 1, first.column) }
        }
        return nil
    }

    private static func position(ofCharacter offset: Int, in text: String) -> (Int?, Int?) {
        var line = 1, column = 1
        for (i, c) in text.enumerated() {
            if i == offset { break }
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }
}
