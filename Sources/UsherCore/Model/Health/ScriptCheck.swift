/// A script check: the program at `path` runs with `arguments`; exit status 0 passes, any other
/// status or a run past the timeout (then its process group is killed) fails. It sees the real
/// and its service in its environment: USHER_SERVICE, USHER_POOL, USHER_REAL_ADDRESS,
/// USHER_REAL_PORT, USHER_CHECK_ADDRESS, USHER_CHECK_PORT.
public struct ScriptCheck: Hashable, Sendable, Codable {
    public var path: String
    public var arguments: [String]

    public init(path: String, arguments: [String] = []) {
        self.path = path
        self.arguments = arguments
    }
}
