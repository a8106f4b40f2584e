/// An HTTP/1.1 health check: `method path` with `Host` (default `address:port`), passing when
/// the status is among `expectStatus` and, when given, the body contains `bodyContains`.
public struct HTTPCheck: Hashable, Sendable, Codable {
    public var method: String
    public var path: String
    /// The `Host` header; nil: the probed `address:port` (IPv6 in brackets).
    public var host: String?
    public var expectStatus: StatusCodes
    /// A substring the response body must contain (the first 64 KiB are read).
    public var bodyContains: String?

    public init(method: String = "GET", path: String, host: String? = nil, expectStatus: StatusCodes = StatusCodes(200),
                bodyContains: String? = nil) {
        self.method = method
        self.path = path
        self.host = host
        self.expectStatus = expectStatus
        self.bodyContains = bodyContains
    }

    private enum CodingKeys: String, CodingKey {
        case method, path, host, expectStatus, bodyContains
    }

    /// Decodes a saved state, also one from when a check had only `path` and one `expectStatus`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decodeIfPresent(String.self, forKey: .method) ?? "GET"
        path = try c.decode(String.self, forKey: .path)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        expectStatus = try c.decode(StatusCodes.self, forKey: .expectStatus)
        bodyContains = try c.decodeIfPresent(String.self, forKey: .bodyContains)
    }
}
