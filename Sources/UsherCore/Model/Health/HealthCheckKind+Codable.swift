/// Saved as `{"<kind>": payload}` (`{"tcp": {}}`, `{"tls": …}`, `{"http": {"path": …}}`,
/// `{"https": …, "tls": …}`),
/// which also reads the states saved when only `tcp` and `http(path, expectStatus)` existed.
extension HealthCheckKind: Codable {
    private enum CodingKeys: String, CodingKey {
        case none, tcp, http, https, tls, udp, dns, script
    }

    private struct Empty: Codable {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if c.contains(.none) {
            self = .none
        } else if c.contains(.tcp) {
            self = .tcp
        } else if !c.contains(.https), let tls = try c.decodeIfPresent(HealthCheckTLS.self, forKey: .tls) {
            self = .tls(tls)
        } else if let http = try c.decodeIfPresent(HTTPCheck.self, forKey: .http) {
            self = .http(http)
        } else if let https = try c.decodeIfPresent(HTTPCheck.self, forKey: .https) {
            self = .https(https, try c.decode(HealthCheckTLS.self, forKey: .tls))
        } else if let udp = try c.decodeIfPresent(UDPCheck.self, forKey: .udp) {
            self = .udp(udp)
        } else if let dns = try c.decodeIfPresent(DNSCheck.self, forKey: .dns) {
            self = .dns(dns)
        } else if let script = try c.decodeIfPresent(ScriptCheck.self, forKey: .script) {
            self = .script(script)
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "no known health check kind"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .none: try c.encode(Empty(), forKey: .none)
        case .tcp: try c.encode(Empty(), forKey: .tcp)
        case let .tls(tls): try c.encode(tls, forKey: .tls)
        case let .http(http): try c.encode(http, forKey: .http)
        case let .https(http, tls):
            try c.encode(http, forKey: .https)
            try c.encode(tls, forKey: .tls)
        case let .udp(udp): try c.encode(udp, forKey: .udp)
        case let .dns(dns): try c.encode(dns, forKey: .dns)
        case let .script(script): try c.encode(script, forKey: .script)
        }
    }
}
