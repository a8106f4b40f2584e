/// Why an email alert was not sent.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server answered `reply` to what we sent in `step`.
    case rejected(step: String, reply: SMTPReply)
    case noStartTLS
    case protocolViolation(String)
    case closed(step: String)
    case timedOut(after: Double, step: String)
    case connect(String)

    public var description: String {
        switch self {
        case let .rejected(step, reply): "the SMTP server refused \(step): \(reply.text)"
        case .noStartTLS: "the SMTP server does not offer STARTTLS, which the config asks for; nothing was sent"
        case let .protocolViolation(what): "the SMTP server broke the protocol: \(what)"
        case let .closed(step): "the SMTP server closed the connection during \(step)"
        case let .timedOut(seconds, step): "the SMTP exchange took more than \(seconds) s (at \(step))"
        case let .connect(reason): "cannot connect to the SMTP server: \(reason)"
        }
    }
}
