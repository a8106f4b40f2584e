import Foundation

/// What the proxy has counted since it started, per service and per pool member: the JSON
/// snapshot `usher proxy` writes to `<state dir>/proxy-stats.json` once a second and `usher
/// stats` shows. Counters only grow (across reloads too, for services and members that stay);
/// `connections`, `activeRequests`, `openConnections` and `health` are the state right now.
public struct ProxyStatistics: Codable, Sendable, Equatable {
    /// Responses by status class (what the client was answered).
    public struct ResponseClasses: Codable, Sendable, Equatable {
        public var informational = 0
        public var success = 0
        public var redirection = 0
        public var clientError = 0
        public var serverError = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case informational = "1xx", success = "2xx", redirection = "3xx", clientError = "4xx", serverError = "5xx"
        }

        mutating func count(_ status: UInt) {
            switch status {
            case ..<200: informational += 1
            case ..<300: success += 1
            case ..<400: redirection += 1
            case ..<500: clientError += 1
            default: serverError += 1
            }
        }

        mutating func add(_ other: ResponseClasses) {
            informational += other.informational
            success += other.success
            redirection += other.redirection
            clientError += other.clientError
            serverError += other.serverError
        }

        public var total: Int { informational + success + redirection + clientError + serverError }
    }

    public struct Member: Codable, Sendable, Equatable {
        /// `198.51.100.11:8080` or `[2001:db8::1]:8080`.
        public var address: String
        public var weight: UInt32
        /// `up`, `down` (failed its health checks) or `draining` (weight 0).
        public var health: String
        /// Whether health checks run for its pool (if not, `up` only means "not draining").
        public var checked: Bool
        /// Exchanges (and WebSocket tunnels) it serves now.
        public var activeRequests: Int
        /// Connections open to it now (in use and idle in the keep-alive pools).
        public var openConnections: Int
        public var requests = 0
        public var responses = ResponseClasses()
        /// Body bytes sent to it (request bodies, and client bytes of tunnels).
        public var bytesIn = 0
        /// Body bytes received from it (response bodies, and its bytes of tunnels).
        public var bytesOut = 0
        /// Connections to it that could not be opened (refused, timed out, TLS failed).
        public var connectErrors = 0
    }

    public struct Pool: Codable, Sendable, Equatable {
        public var name: String
        public var members: [Member]
        /// Durations of the requests the pool served (nil in files written before it was counted).
        public var latency: LatencyHistogram?
    }

    public struct Service: Codable, Sendable, Equatable {
        public var name: String
        /// `203.0.113.10:443`.
        public var address: String
        /// `http` or `https`.
        public var mode: String
        /// Client connections open now.
        public var connections: Int
        /// Connections closed at accept because `max-connections` were open.
        public var refusedConnections: Int
        public var requests = 0
        /// Every answer, the proxy's own (404, 502, 503, 4xx of refused requests) included.
        public var responses = ResponseClasses()
        /// Requests refused before any real server was asked (limits, malformed requests).
        public var rejectedRequests: Int
        /// Header (408) and idle timeouts.
        public var timeouts: Int
        /// Body bytes from clients (and client bytes of tunnels).
        public var bytesIn = 0
        /// Body bytes to clients (and real servers' bytes of tunnels).
        public var bytesOut = 0
        public var pools: [Pool]
        /// Durations of every request, head received to last byte sent.
        public var latency: LatencyHistogram?
        /// TLS handshakes completed and failed (https services).
        public var tlsHandshakes = 0
        public var tlsHandshakeFailures = 0
    }

    /// When the snapshot was taken.
    public var writtenAt: Date
    /// The `usher proxy` process that wrote it.
    public var pid: Int32
    public var services: [Service]

    public init(writtenAt: Date, pid: Int32, services: [Service]) {
        self.writtenAt = writtenAt
        self.pid = pid
        self.services = services
    }

    /// The encoding of the file (keys in snake_case, dates as ISO 8601).
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return d
    }
}
