import Testing
@testable import UsherAlerts

/// The SMTP exchange as a state machine: what each reply leads to (RFC 5321, RFC 3207).
@Suite struct SMTPSessionTests {
    func session(to: [String] = ["ops@example.com"], tls: Bool = false) -> SMTPSession {
        SMTPSession(heloName: "lb1", from: "usher@lb1.example.com", to: to, message: Array("m\r\n.\r\n".utf8), requireTLS: tls)
    }

    func reply(_ code: Int, _ lines: String...) -> SMTPReply { SMTPReply(code: code, lines: lines.isEmpty ? ["ok"] : lines) }

    @Test func aWholeExchangeToTwoRecipients() {
        var s = session(to: ["a@example.com", "b@example.com"])
        #expect(s.received(reply(220)) == .send("EHLO lb1"))
        #expect(s.received(reply(250, "mx.example.com", "8BITMIME")) == .send("MAIL FROM:<usher@lb1.example.com>"))
        #expect(s.received(reply(250)) == .send("RCPT TO:<a@example.com>"))
        #expect(s.received(reply(251)) == .send("RCPT TO:<b@example.com>"))
        #expect(s.received(reply(250)) == .send("DATA"))
        #expect(s.received(reply(354)) == .sendMessage(Array("m\r\n.\r\n".utf8)))
        #expect(s.received(reply(250)) == .send("QUIT"))
        #expect(s.received(reply(221)) == .done)
    }

    @Test func startTLSThenGreetingAgain() {
        var s = session(tls: true)
        _ = s.received(reply(220))
        #expect(s.received(reply(250, "mx.example.com", "STARTTLS", "SIZE 100")) == .send("STARTTLS"))
        #expect(s.received(reply(220)) == .startTLS)
        #expect(s.tlsEstablished() == .send("EHLO lb1"))
        #expect(s.received(reply(250, "mx.example.com")) == .send("MAIL FROM:<usher@lb1.example.com>"))
    }

    @Test func noStartTLSOfferedSendsNothing() {
        var s = session(tls: true)
        _ = s.received(reply(220))
        #expect(s.received(reply(250, "mx.example.com", "8BITMIME")) == .fail(.noStartTLS))
    }

    @Test func aServerWithoutEHLOGetsHELO() {
        var s = session()
        _ = s.received(reply(220))
        #expect(s.received(reply(502, "unknown command")) == .send("HELO lb1"))
        #expect(s.received(reply(250)) == .send("MAIL FROM:<usher@lb1.example.com>"))
    }

    @Test func aRefusalSaysWhichStep() {
        var s = session(to: ["a@example.com", "nobody@example.com"])
        for code in [220, 250, 250, 250] { _ = s.received(reply(code)) }
        #expect(s.received(reply(550, "no such user")) == .fail(.rejected(step: "RCPT TO:<nobody@example.com>",
                                                                          reply: reply(550, "no such user"))))
        var busy = session()
        #expect(busy.received(reply(421, "busy")) == .fail(.rejected(step: "the greeting", reply: reply(421, "busy"))))
    }
}
