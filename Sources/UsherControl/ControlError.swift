/// A failure of the control plane the operator can act on: the message says what went wrong
/// and what to do.
public struct ControlError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ message: String) {
        description = message
    }
}
