/// What one client may ask of the proxy. Exceeding a limit gets the right 4xx (or a closed
/// connection for timeouts) and is never forwarded.
public struct HTTPLimits: Hashable, Sendable, Codable {
    /// Request line (method, target, version), in bytes: 414 above it.
    public var maxRequestLineBytes: Int
    /// All header lines together, in bytes: 431 above it.
    public var maxHeaderBytes: Int
    /// Number of header fields: 431 above it.
    public var maxHeaderCount: Int
    /// Request body, in bytes: 413 above it.
    public var maxBodyBytes: Int
    /// Time to receive a request's whole head (slowloris): 408 and close.
    public var headerTimeoutSeconds: Double
    /// Time a kept-alive connection may sit without a request: closed.
    public var idleTimeoutSeconds: Double
    /// Concurrent client connections of the service; above it new ones are closed at once.
    public var maxConnections: Int

    public init(
        maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 10 << 20, headerTimeoutSeconds: Double = 10, idleTimeoutSeconds: Double = 60,
        maxConnections: Int = 10000
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
    }
}

/// Header fields to set (replacing any of the same name) and to remove, applied in that order:
/// removals first, then sets.
public struct HeaderRewrite: Hashable, Sendable, Codable {
    public var fieldsToSet: [HeaderField]
    public var namesToRemove: [String]

    public init(fieldsToSet: [HeaderField] = [], namesToRemove: [String] = []) {
        self.fieldsToSet = fieldsToSet
        self.namesToRemove = namesToRemove
    }

    public var isEmpty: Bool { fieldsToSet.isEmpty && namesToRemove.isEmpty }
}

public struct HeaderField: Hashable, Sendable, Codable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
