/// What a health check probes, and what a pass is.
public enum HealthCheckKind: Hashable, Sendable {
    /// Never probed: always up.
    case none
    /// A TCP connection opens.
    case tcp
    /// A TCP connection opens and the TLS handshake completes (verified as asked).
    case tls(HealthCheckTLS)
    /// An HTTP/1.1 request over TCP gets an expected answer.
    case http(HTTPCheck)
    /// The same over TLS (handshake and, when asked, verification first).
    case https(HTTPCheck, HealthCheckTLS)
    /// A datagram sent gets an expected reply.
    case udp(UDPCheck)
    /// A DNS query over UDP gets an expected rcode.
    case dns(DNSCheck)
    /// A program exits 0 within the timeout.
    case script(ScriptCheck)

    /// `GET path` expecting exactly `expectStatus` (the form L7 pools have always written).
    public static func http(path: String, expectStatus: Int) -> HealthCheckKind {
        .http(HTTPCheck(path: path, expectStatus: StatusCodes(expectStatus)))
    }

    /// The config's word for it: `none`, `tcp`, `http`, `https`, `udp`, `dns`, `script`.
    public var name: String {
        switch self {
        case .none: return "none"
        case .tcp: return "tcp"
        case .tls: return "tls"
        case .http: return "http"
        case .https: return "https"
        case .udp: return "udp"
        case .dns: return "dns"
        case .script: return "script"
        }
    }
}
