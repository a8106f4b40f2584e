/// One email's exchange with an SMTP server (RFC 5321 §3-4, STARTTLS of RFC 3207), as a state
/// machine: each reply (or the TLS handshake's end) gives the next action, which `SMTPClient`
/// performs. Greeting 220 → EHLO 250 (HELO when EHLO is unknown) → [STARTTLS 220 → TLS → EHLO
/// 250] → MAIL FROM 250 → RCPT TO 250/251 for each → DATA 354 → the message 250 → QUIT 221.
struct SMTPSession: Sendable {
    enum Action: Sendable, Equatable {
        /// Write this command and CRLF.
        case send(String)
        /// Write the message (dot-stuffed, ending in CRLF.CRLF).
        case sendMessage([UInt8])
        /// Put TLS under the connection and handshake; then call `tlsEstablished`.
        case startTLS
        /// Accepted: say QUIT's answer was read, close.
        case done
        case fail(SMTPError)
    }

    enum State: Sendable, Equatable {
        case greeting
        case ehlo(secured: Bool)
        case helo
        case startTLS
        case handshaking
        case mailFrom
        case rcptTo(Int)
        case data
        case message
        case quit
        case finished
    }

    private(set) var state = State.greeting
    let heloName: String
    let from: String
    let to: [String]
    /// The message as stuffed for DATA.
    let message: [UInt8]
    let requireTLS: Bool

    init(heloName: String, from: String, to: [String], message: [UInt8], requireTLS: Bool) {
        self.heloName = heloName
        self.from = from
        self.to = to
        self.message = message
        self.requireTLS = requireTLS
    }

    /// What `step` is called in errors.
    var step: String {
        switch state {
        case .greeting: "the greeting"
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .startTLS: "STARTTLS"
        case .handshaking: "the TLS handshake"
        case .mailFrom: "MAIL FROM"
        case let .rcptTo(i): "RCPT TO:<\(to[i])>"
        case .data: "DATA"
        case .message: "the message"
        case .quit: "QUIT"
        case .finished: "the end"
        }
    }

    mutating func received(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(reply) }
            state = .ehlo(secured: false)
            return .send("EHLO \(heloName)")
        case let .ehlo(secured):
            if !secured, reply.code == 500 || reply.code == 502, !requireTLS {
                state = .helo
                return .send("HELO \(heloName)")
            }
            guard reply.code == 250 else { return fail(reply) }
            if requireTLS, !secured {
                // The first line is the server's name; each other one an extension.
                guard reply.lines.dropFirst().contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    state = .finished
                    return .fail(.noStartTLS)
                }
                state = .startTLS
                return .send("STARTTLS")
            }
            return mailFrom()
        case .helo:
            guard reply.code == 250 else { return fail(reply) }
            return mailFrom()
        case .startTLS:
            guard reply.code == 220 else { return fail(reply) }
            state = .handshaking
            return .startTLS
        case .handshaking, .finished:
            state = .finished
            return .fail(.protocolViolation("an unexpected reply: \(reply.text)"))
        case .mailFrom:
            guard reply.code == 250 else { return fail(reply) }
            state = .rcptTo(0)
            return .send("RCPT TO:<\(to[0])>")
        case let .rcptTo(i):
            guard reply.code == 250 || reply.code == 251 else { return fail(reply) }
            if i + 1 < to.count {
                state = .rcptTo(i + 1)
                return .send("RCPT TO:<\(to[i + 1])>")
            }
            state = .data
            return .send("DATA")
        case .data:
            guard reply.code == 354 else { return fail(reply) }
            state = .message
            return .sendMessage(message)
        case .message:
            guard reply.code == 250 else { return fail(reply) }
            state = .quit
            return .send("QUIT")
        case .quit:
            // The message is accepted already; any answer to QUIT ends it.
            state = .finished
            return .done
        }
    }

    /// The TLS handshake after STARTTLS is done: greet again (RFC 3207 §4.2).
    mutating func tlsEstablished() -> Action {
        guard state == .handshaking else {
            state = .finished
            return .fail(.protocolViolation("TLS started outside STARTTLS"))
        }
        state = .ehlo(secured: true)
        return .send("EHLO \(heloName)")
    }

    private mutating func mailFrom() -> Action {
        state = .mailFrom
        return .send("MAIL FROM:<\(from)>")
    }

    private mutating func fail(_ reply: SMTPReply) -> Action {
        let error = SMTPError.rejected(step: step, reply: reply)
        state = .finished
        return .fail(error)
    }
}
