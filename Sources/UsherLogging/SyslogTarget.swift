import UsherCore

/// Where a syslog destination sends: the local syslog's Unix datagram socket, or a remote
/// server over UDP or TCP.
public enum SyslogTarget: Sendable, Hashable, CustomStringConvertible {
    case local(path: String)
    case remote(SyslogEndpoint)

    /// The largest message sent: a UDP datagram carries at most 65,507 bytes (over IPv4); a
    /// longer line is cut, at a character's end.
    static let maxMessageBytes = 65_000

    /// TCP: a stream of framed messages, kept connected; the others send datagrams.
    var isStream: Bool {
        if case let .remote(endpoint) = self { return endpoint.transport == .tcp }
        return false
    }

    public var description: String {
        switch self {
        case let .local(path): "unix:\(path)"
        case let .remote(endpoint): endpoint.description
        }
    }
}
