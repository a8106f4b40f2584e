/// A server's reply (RFC 5321 §4.2): a three-digit code and its lines of text; a multi-line
/// reply has `250-` before each line but the last (`250 `).
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]

    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx.
    public var isPositive: Bool { (200..<300).contains(code) }

    /// The reply as the server sent it, on one line, for errors.
    public var text: String { "\(code) \(lines.joined(separator: " / "))" }
}
