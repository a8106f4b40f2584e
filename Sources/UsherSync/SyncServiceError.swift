/// A sync service that cannot start: its message says what to do.
public struct SyncServiceError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
