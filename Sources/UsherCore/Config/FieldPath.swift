/// The path of a field inside a config, e.g. `services[1].reals[0].address`. Kept as components
/// so that the loader can map indices of the validated model back to the items of the file.
public struct FieldPath: Hashable, Sendable, CustomStringConvertible {
    public enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) {
        self.components = components
    }

    public static let root = FieldPath()

    public func key(_ name: String) -> FieldPath { FieldPath(components + [.key(name)]) }
    public func index(_ i: Int) -> FieldPath { FieldPath(components + [.index(i)]) }

    /// The path without its last component (the root stays the root).
    var parent: FieldPath { FieldPath(Array(components.dropLast())) }

    public var description: String {
        var out = ""
        for c in components {
            switch c {
            case let .key(k): out += out.isEmpty ? k : ".\(k)"
            case let .index(i): out += "[\(i)]"
            }
        }
        return out
    }
}
