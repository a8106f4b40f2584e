/// Every problem found in a configuration, in file order. Thrown instead of the first error so
/// that one run of `usher apply` shows everything that needs fixing.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(errors: [ConfigError]) {
        self.errors = errors
    }

    /// One error per line.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
