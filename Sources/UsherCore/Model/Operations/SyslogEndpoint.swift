/// A remote syslog server: `udp://HOST:PORT` (RFC 5426, one message per datagram) or
/// `tcp://HOST:PORT` (RFC 6587, each message framed by its length). HOST is an address or a
/// name (looked up when the daemon connects); an IPv6 address is written in brackets.
public struct SyslogEndpoint: Sendable, Codable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, Codable, Hashable, CaseIterable {
        case udp, tcp
    }

    public var transport: Transport
    public var host: String
    public var port: Int

    /// The port syslog servers listen on when none is given (UDP and, by custom, TCP).
    public static let defaultPort = 514

    public init(transport: Transport, host: String, port: Int = SyslogEndpoint.defaultPort) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    /// Reads `udp://198.51.100.9:514`, `tcp://logs.example.com`, `udp://[2001:db8::9]:514`;
    /// otherwise what is wrong with it.
    public static func parse(_ text: String) -> Result<SyslogEndpoint, ParseError> {
        guard let schemeEnd = text.range(of: "://") else { return .failure(.noScheme) }
        guard let transport = Transport(rawValue: String(text[..<schemeEnd.lowerBound]).lowercased()) else {
            return .failure(.unknownScheme(String(text[..<schemeEnd.lowerBound])))
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        if rest.hasSuffix("/") { rest.removeLast() }
        switch HostPort.parse(rest, defaultPort: defaultPort) {
        case let .failure(.badHost(host)): return .failure(.badHost(host))
        case let .failure(.badPort(port)): return .failure(.badPort(port))
        case let .success(hostPort): return .success(SyslogEndpoint(transport: transport, host: hostPort.host, port: hostPort.port))
        }
    }

    public enum ParseError: Error, Sendable, Equatable {
        case noScheme, unknownScheme(String), badHost(String), badPort(String)
    }

    public var description: String { "\(transport.rawValue)://\(HostPort(host: host, port: port).description)" }
}
