/// A failure to read or write the state directory, naming the path and what to do.
public struct StateStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var hint: String?

    public init(path: String, message: String, hint: String? = nil) {
        self.path = path
        self.message = message
        self.hint = hint
    }

    /// `PATH: message (hint)`.
    public var description: String {
        "\(path): \(message)" + (hint.map { " (\($0))" } ?? "")
    }
}
