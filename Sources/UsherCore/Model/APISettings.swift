/// Where the daemon serves its API, /metrics and status page (`api:` in the config). The Unix
/// socket (root only) always; a TCP listener only when `listen` is set, and then always with
/// TLS and a bearer token.
public struct APISettings: Hashable, Sendable, Codable {
    /// The Unix socket's path; nil: `api.sock` in the state directory.
    public var socket: String?
    /// The TCP listener's address and port.
    public var listen: Listener?
    /// PEM files of the TCP listener's certificate (chain) and key.
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// A file (0600, root's) holding the bearer token TCP clients must send.
    public var tokenFile: String?

    public struct Listener: Hashable, Sendable, Codable, CustomStringConvertible {
        public var address: IPAddress
        public var port: UInt16

        public init(address: IPAddress, port: UInt16) {
            self.address = address
            self.port = port
        }

        /// `198.51.100.2:9443`, `[2001:db8:2::2]:9443`.
        public var description: String { address.isV4 ? "\(address):\(port)" : "[\(address)]:\(port)" }

        /// Reads `ADDRESS:PORT` or `[IPV6]:PORT`.
        public init?(_ text: String) {
            let host: Substring, port: Substring
            if text.hasPrefix("[") {
                guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
                host = text[text.index(after: text.startIndex)..<close]
                port = text[text.index(close, offsetBy: 2)...]
            } else {
                guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else { return nil }
                host = text[..<colon]
                port = text[text.index(after: colon)...]
            }
            guard let address = IPAddress(String(host)), !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = UInt16(port), number > 0 else { return nil }
            self.init(address: address, port: number)
        }
    }

    public init(socket: String? = nil, listen: Listener? = nil, tlsCertificate: String? = nil, tlsKey: String? = nil,
                tokenFile: String? = nil) {
        self.socket = socket
        self.listen = listen
        self.tlsCertificate = tlsCertificate
        self.tlsKey = tlsKey
        self.tokenFile = tokenFile
    }
}
