/// An email alert, sent over SMTP (RFC 5321) to a relay that accepts it without login, with
/// STARTTLS (RFC 3207) when asked for.
public struct EmailAlert: Sendable, Codable, Hashable {
    /// The relay's name or address.
    public var server: String
    public var port: Int
    /// Upgrade to TLS before sending (the relay must offer STARTTLS, or nothing is sent).
    public var startTLS: Bool
    public var from: String
    public var to: [String]
    /// Put before each subject, e.g. `[usher lb1]`.
    public var subjectPrefix: String
    /// How long one email may take, connect to QUIT, in seconds.
    public var timeoutSeconds: Double
    /// A PEM file of the certificates to trust for STARTTLS instead of the system's.
    public var caFile: String?

    public static let defaultPort = 25
    public static let defaultTimeoutSeconds = 10.0
    public static let defaultSubjectPrefix = "[usher]"

    public init(server: String, port: Int = EmailAlert.defaultPort, startTLS: Bool = false, from: String, to: [String],
                subjectPrefix: String = EmailAlert.defaultSubjectPrefix, timeoutSeconds: Double = EmailAlert.defaultTimeoutSeconds,
                caFile: String? = nil) {
        self.server = server
        self.port = port
        self.startTLS = startTLS
        self.from = from
        self.to = to
        self.subjectPrefix = subjectPrefix
        self.timeoutSeconds = timeoutSeconds
        self.caFile = caFile
    }

    /// Whether `text` can go in MAIL FROM / RCPT TO as is: `local@domain`, printable ASCII,
    /// no spaces, angle brackets or quotes (what alert addresses are; RFC 5321 allows more).
    public static func isPlainAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, text.utf8.count <= 254 else { return false }
        let allowed: (Character) -> Bool = { c in
            guard let v = c.asciiValue else { return false }
            return v > 32 && v < 127 && !"<>\"(),;:[]\\".contains(c)
        }
        return text.allSatisfy(allowed) && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".") && parts[1].contains { $0 != "." }
    }
}
