/// What a UDP check's reply must be.
public enum UDPExpectation: Hashable, Sendable, Codable {
    /// Any datagram.
    case anyReply
    /// Exactly these bytes.
    case bytes([UInt8])
    /// A regular expression (Swift `Regex` syntax, much like PCRE) found in
    /// the reply read as UTF-8.
    case regex(String)
}
