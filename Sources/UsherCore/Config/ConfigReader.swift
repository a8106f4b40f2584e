import Yams

/// Walks the YAML node tree of a config file, turning each field into a model value and
/// recording both what is wrong (with the position of the offending node) and where every field
/// sits, so that later problems found by `ConfigValidator` can be located too.
struct ConfigReader {
    struct Issue {
        var path: FieldPath
        var mark: Mark?
        var message: String
        var hint: String?
    }

    private(set) var issues: [Issue] = []
    /// Position of every field and list item read: the value's position for scalars, the key's
    /// for lists and mappings (so an error about a whole list points at its name).
    private(set) var marks: [FieldPath: Mark] = [:]
    /// Known fields that an unknown key was taken for a misspelling of; not reported missing.
    private var suggested: Set<FieldPath> = []

    mutating func report(_ path: FieldPath, at mark: Mark?, _ message: String, hint: String? = nil) {
        issues.append(Issue(path: path, mark: mark ?? self.mark(of: path), message: message, hint: hint))
    }

    /// The recorded position of `path`, or of its nearest recorded ancestor.
    func mark(of path: FieldPath) -> Mark? {
        var p = path
        while true {
            if let m = marks[p] { return m }
            if p.components.isEmpty { return nil }
            p = p.parent
        }
    }

    mutating func record(_ path: FieldPath, _ mark: Mark?) {
        if let mark, marks[path] == nil { marks[path] = mark }
    }

    // MARK: Shapes

    /// The fields of a mapping node, each with its key; unknown keys are reported (with the
    /// closest known name), and a node of another shape is reported as a wrong type.
    mutating func mapping(_ node: Node, at path: FieldPath, what: String, fields: [String], hint: String) -> [String: Node]? {
        guard case let .mapping(mapping) = node else {
            report(path, at: node.mark, "expected \(what), found \(Self.describe(node))", hint: hint)
            return nil
        }
        record(path, mapping.mark)
        var out: [String: Node] = [:]
        for (key, value) in mergingKeys(of: mapping, at: path) {
            guard case let .scalar(k) = key else {
                report(path, at: key.mark, "a key of \(what) must be a plain name, found \(Self.describe(key))",
                       hint: "known fields: \(fields.joined(separator: ", "))")
                continue
            }
            let name = k.string
            let fieldPath = path.key(name)
            // Top-level `x-…` keys are ignored: a place for anchors (`x-pool: &pool`), as in Compose files.
            if path.components.isEmpty, name.hasPrefix("x-") { continue }
            guard fields.contains(name) else {
                let suggestion = Suggestions.closest(to: name, among: fields)
                if let suggestion { suggested.insert(path.key(suggestion)) }
                report(fieldPath, at: key.mark, "unknown field \"\(name)\" in \(what)",
                       hint: suggestion.map { "did you mean \"\($0)\"?" } ?? "known fields: \(fields.joined(separator: ", "))")
                continue
            }
            switch value {
            case .scalar where !Self.isNull(value): record(fieldPath, value.mark)
            default: record(fieldPath, key.mark)
            }
            out[name] = value
        }
        return out
    }

    /// The pairs of `mapping` with YAML merge keys (`<<: *defaults`) expanded: fields of the
    /// merged mappings that the mapping does not set itself are added after its own.
    private mutating func mergingKeys(of mapping: Node.Mapping, at path: FieldPath) -> [(Node, Node)] {
        var own: [(Node, Node)] = [], merged: [(Node, Node)] = []
        for (key, value) in mapping {
            guard case let .scalar(k) = key, k.string == "<<", k.style == .plain else {
                own.append((key, value))
                continue
            }
            let sources: [Node]
            if case let .sequence(s) = value { sources = Array(s) } else { sources = [value] }
            for source in sources {
                if case let .mapping(m) = source {
                    merged += m.map { ($0.key, $0.value) }
                } else {
                    report(path, at: source.mark, "a merge key (<<) takes a mapping or a list of mappings, found \(Self.describe(source))",
                           hint: "write `<<: *name` where `&name` marks a mapping")
                }
            }
        }
        var seen = Set(own.compactMap { $0.0.scalar?.string })
        for pair in merged {
            guard let name = pair.0.scalar?.string, !seen.contains(name) else { continue }
            seen.insert(name)
            own.append(pair)
        }
        return own
    }

    /// The items of a sequence node; an empty value (`reals:`) is an empty list.
    mutating func list(_ node: Node, at path: FieldPath, what: String, hint: String) -> [Node]? {
        if Self.isNull(node) { return [] }
        guard case let .sequence(sequence) = node else {
            report(path, at: node.mark, "expected a list of \(what), found \(Self.describe(node))", hint: hint)
            return nil
        }
        let items = Array(sequence)
        for (i, item) in items.enumerated() { record(path.index(i), item.mark) }
        return items
    }

    /// Each item of a list read by `read`; nil when the list or any item is unreadable (each
    /// reported), so a half-read list never stands for the whole.
    mutating func items<T>(
        _ node: Node, at path: FieldPath, what: String, hint: String, read: (inout ConfigReader, Node, FieldPath) -> T?
    ) -> [T]? {
        guard let nodes = list(node, at: path, what: what, hint: hint) else { return nil }
        var out: [T] = []
        var ok = true
        for (i, item) in nodes.enumerated() {
            if let value = read(&self, item, path.index(i)) { out.append(value) } else { ok = false }
        }
        return ok ? out : nil
    }

    /// The text of a scalar node; an empty value or a list/mapping is reported.
    mutating func scalar(_ node: Node, at path: FieldPath, what: String, hint: String) -> String? {
        if Self.isNull(node) {
            report(path, at: marks[path] ?? node.mark, "no value given for \(what)", hint: hint)
            return nil
        }
        guard case let .scalar(s) = node else {
            report(path, at: node.mark, "expected \(what), found \(Self.describe(node))", hint: hint)
            return nil
        }
        guard Self.plainTags.contains(s.tag.rawValue) else {
            report(path, at: node.mark, "\(what) carries the YAML tag \(s.tag.rawValue), which Usher does not read",
                   hint: "write the value without a tag: \(hint)")
            return nil
        }
        return s.string
    }

    /// Tags a value may carry: none, or one that says what plain text says anyway.
    static let plainTags: Set<String> = [Tag.Name.implicit, .nonSpecific, .str, .int, .float, .bool, .null].map(\.rawValue)
        .reduce(into: []) { $0.insert($1) }

    /// Reports each of `required` missing from `fields`, at the enclosing item.
    mutating func require(_ required: [(name: String, hint: String)], in fields: [String: Node], at path: FieldPath, what: String) {
        for field in required where fields[field.name] == nil && !suggested.contains(path.key(field.name)) {
            report(path.key(field.name), at: mark(of: path), "missing field \"\(field.name)\" in \(what)", hint: field.hint)
        }
    }

    // MARK: Values

    /// One of a fixed set of words; anything else is reported with the closest choice.
    mutating func choice<T>(
        _ node: Node, at path: FieldPath, what: String, choices: [(String, T)], synonyms: [String: String] = [:]
    ) -> T? {
        let names = choices.map(\.0)
        let listHint = "write \(Suggestions.list(names))"
        guard let text = scalar(node, at: path, what: what, hint: listHint) else { return nil }
        if let value = choices.first(where: { $0.0 == text })?.1 { return value }
        let suggestion = synonyms[text.lowercased()] ?? Suggestions.closest(to: text, among: names)
        report(path, at: node.mark, "unknown \(what) \"\(text)\"",
               hint: suggestion.map { "did you mean \"\($0)\"? The choices are \(Suggestions.list(names))" } ?? listHint)
        return nil
    }

    /// A whole number as written (decimal digits, optional minus sign), or nil with a report.
    mutating func integer(_ node: Node, at path: FieldPath, what: String, hint: String) -> Int? {
        guard let text = scalar(node, at: path, what: what, hint: hint) else { return nil }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            report(path, at: node.mark, "\(what) \"\(text)\" is not a whole number", hint: hint)
            return nil
        }
        guard let value = Int(text) else {
            report(path, at: node.mark, "\(what) \(text) is far out of range", hint: hint)
            return nil
        }
        return value
    }

    // MARK: Helpers

    static func isNull(_ node: Node) -> Bool {
        guard case let .scalar(s) = node else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// "a list", "a mapping", "the text \"eth0\"", "nothing", for wrong-type messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .sequence: return "a list"
        case .mapping: return "a mapping (key: value pairs)"
        case .alias: return "an alias"
        case let .scalar(s):
            if isNull(node) { return "nothing" }
            return "\"\(s.string)\""
        }
    }
}
