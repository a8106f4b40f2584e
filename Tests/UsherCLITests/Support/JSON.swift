import Foundation

/// Small helpers to look into the JSON the CLI prints, failing with the text when it is not
/// what was expected.
enum JSON {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: String) throws -> Any {
        do {
            return try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw Mismatch(description: "not JSON (\(error)): \(text)")
        }
    }

    static func object(_ value: Any?, _ what: String = "value") throws -> [String: Any] {
        guard let object = value as? [String: Any] else { throw Mismatch(description: "\(what) is not an object: \(String(describing: value))") }
        return object
    }

    static func array(_ value: Any?, _ what: String = "value") throws -> [Any] {
        guard let array = value as? [Any] else { throw Mismatch(description: "\(what) is not an array: \(String(describing: value))") }
        return array
    }

    static func objects(_ value: Any?, _ what: String = "value") throws -> [[String: Any]] {
        try array(value, what).enumerated().map { try object($1, "\(what)[\($0)]") }
    }

    /// An integer field.
    static func int(_ object: [String: Any], _ key: String) throws -> Int {
        guard let number = object[key] as? Int else {
            throw Mismatch(description: "\(key) is not an integer in \(object)")
        }
        return number
    }

    static func string(_ object: [String: Any], _ key: String) throws -> String {
        guard let text = object[key] as? String else { throw Mismatch(description: "\(key) is not a string in \(object)") }
        return text
    }

    static func keys(_ object: [String: Any]) -> Set<String> { Set(object.keys) }
}

extension JSON {
    /// Compact, key-sorted text of a parsed value: two values print the same iff they are equal.
    static func canonical(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `text` holds the same JSON as `expected` (both parsed; order of keys ignored).
    static func same(_ text: String, as expected: String) throws -> Bool {
        try canonical(parse(text)) == canonical(parse(expected))
    }
}
