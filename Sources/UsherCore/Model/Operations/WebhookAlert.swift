/// A webhook alert: the event as JSON, POSTed to an http or https URL.
public struct WebhookAlert: Sendable, Codable, Hashable {
    /// The URL as written in the config.
    public var url: String
    public var secure: Bool
    public var host: String
    public var port: Int
    /// The path and query, `/` at least.
    public var target: String
    /// How long a POST may take, connect to answer, in seconds.
    public var timeoutSeconds: Double
    /// A PEM file of the certificates to trust for https instead of the system's.
    public var caFile: String?

    public static let defaultTimeoutSeconds = 5.0

    public init(url: String, secure: Bool, host: String, port: Int, target: String,
                timeoutSeconds: Double = WebhookAlert.defaultTimeoutSeconds, caFile: String? = nil) {
        self.url = url
        self.secure = secure
        self.host = host
        self.port = port
        self.target = target
        self.timeoutSeconds = timeoutSeconds
        self.caFile = caFile
    }

    /// `http://198.51.100.9:8080/hook` or `https://hooks.example.com/usher?team=ops` as a
    /// webhook, or why not.
    public static func parse(url text: String) -> Result<WebhookAlert, URLError> {
        guard let schemeEnd = text.range(of: "://") else { return .failure(.noScheme) }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return .failure(.unknownScheme(scheme)) }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains(where: { $0.isWhitespace || $0.isNewline }) else { return .failure(.whitespace) }
        let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<slash]
        var target = String(rest[slash...])
        if target.isEmpty { target = "/" } else if target.hasPrefix("?") { target = "/" + target }
        guard !authority.contains("@") else { return .failure(.userInfo) }
        let secure = scheme == "https"
        switch HostPort.parse(authority, defaultPort: secure ? 443 : 80) {
        case let .failure(.badHost(host)): return .failure(.badHost(host))
        case let .failure(.badPort(port)): return .failure(.badPort(port))
        case let .success(hostPort):
            return .success(WebhookAlert(url: text, secure: secure, host: hostPort.host, port: hostPort.port, target: target))
        }
    }

    public enum URLError: Error, Sendable, Equatable {
        case noScheme, unknownScheme(String), whitespace, userInfo, badHost(String), badPort(String)
    }
}
