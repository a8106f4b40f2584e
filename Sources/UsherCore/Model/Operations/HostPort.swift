/// The `HOST[:PORT]` part of a URL or server address: a name, an IPv4 address, or an IPv6
/// address in brackets (`[2001:db8::9]:514`). The one reader of it for syslog, webhook and
/// SMTP servers.
public struct HostPort: Sendable, Hashable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public enum ParseError: Error, Sendable, Equatable {
        case badHost(String), badPort(String)
    }

    public static func parse(_ text: Substring, defaultPort: Int) -> Result<HostPort, ParseError> {
        let host: Substring, portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.badHost(String(text))) }
            host = text[text.index(after: text.startIndex)..<close]
            guard IPAddress(String(host))?.isV4 == false else { return .failure(.badHost(String(text))) }
            let after = text[text.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return .failure(.badHost(String(text))) }
            portText = after.isEmpty ? nil : after.dropFirst()
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return .failure(.badHost(String(text))) }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:".contains($0)) }) else {
            return .failure(.badHost(String(host)))
        }
        var port = defaultPort
        if let portText {
            guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }), let p = Int(portText), (1...65535).contains(p)
            else { return .failure(.badPort(String(portText))) }
            port = p
        }
        return .success(HostPort(host: String(host), port: port))
    }

    /// As written back: brackets around an IPv6 address.
    public var description: String { "\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}
