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
    /// How long a request body may keep the proxy waiting for its next bytes (slow POST): a
    /// credit of this many seconds, used up while waiting, a second earned back per
    /// `minBodyRate` bytes received (never above this). Used up: 408 and close (a close
    /// alone once a response has started).
    public var bodyTimeoutSeconds: Double
    /// Bytes per second a body must average to keep its credit; 0: any bytes restore it all
    /// (a plain timeout between reads).
    public var minBodyRate: Int

    public init(
        maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
        maxBodyBytes: Int = 10 << 20, headerTimeoutSeconds: Double = 10, idleTimeoutSeconds: Double = 60,
        maxConnections: Int = 10000, bodyTimeoutSeconds: Double = 60, minBodyRate: Int = 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.bodyTimeoutSeconds = bodyTimeoutSeconds
        self.minBodyRate = minBodyRate
    }

    private enum CodingKeys: String, CodingKey {
        case maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, headerTimeoutSeconds, idleTimeoutSeconds
        case maxConnections, bodyTimeoutSeconds, minBodyRate
    }

    /// A config saved before the body limits existed reads with their defaults.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = HTTPLimits()
        self.init(
            maxRequestLineBytes: try c.decode(Int.self, forKey: .maxRequestLineBytes),
            maxHeaderBytes: try c.decode(Int.self, forKey: .maxHeaderBytes),
            maxHeaderCount: try c.decode(Int.self, forKey: .maxHeaderCount),
            maxBodyBytes: try c.decode(Int.self, forKey: .maxBodyBytes),
            headerTimeoutSeconds: try c.decode(Double.self, forKey: .headerTimeoutSeconds),
            idleTimeoutSeconds: try c.decode(Double.self, forKey: .idleTimeoutSeconds),
            maxConnections: try c.decode(Int.self, forKey: .maxConnections),
            bodyTimeoutSeconds: try c.decodeIfPresent(Double.self, forKey: .bodyTimeoutSeconds) ?? defaults.bodyTimeoutSeconds,
            minBodyRate: try c.decodeIfPresent(Int.self, forKey: .minBodyRate) ?? defaults.minBodyRate)
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
