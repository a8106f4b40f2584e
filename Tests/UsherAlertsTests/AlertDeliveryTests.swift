import Foundation
import Logging
import NIOPosix
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherAlerts

/// Alerts sent to real servers (Tools/lab-listener.py: an HTTP(S) server for the webhook, an
/// SMTP server with STARTTLS), on loopback.
@Suite(.serialized) struct AlertDeliveryTests {
    let event = DaemonEvent(sequence: 12, at: Date(timeIntervalSince1970: 1_796_574_996), kind: .realState, severity: .warning,
                            service: "web", real: "198.51.100.12:80", state: "down", previousState: "up",
                            message: "web 198.51.100.12:80 is down: 2 consecutive checks failed")

    func webhook(_ url: String, caFile: String? = nil, timeout: Double = 5) throws -> WebhookAlert {
        guard case var .success(w) = WebhookAlert.parse(url: url) else { throw CocoaError(.featureUnsupported) }
        w.caFile = caFile
        w.timeoutSeconds = timeout
        return w
    }

    @Test func aWebhookGetsTheEventAsJSON() async throws {
        let listener = try ListenerProcess("http")
        defer { listener.stop() }
        try await WebhookClient(group: MultiThreadedEventLoopGroup.singleton)
            .post(Alert.event(event).json(host: "lb1"), to: webhook("http://127.0.0.1:\(listener.port)/hooks/usher?team=ops"))
        let request = try #require(listener.waitForEntries(1).first)
        #expect(request["method"] as? String == "POST" && request["path"] as? String == "/hooks/usher?team=ops")
        let headers = request["headers"] as? [String: String] ?? [:]
        #expect(headers["content-type"] == "application/json" && headers["host"] == "127.0.0.1:\(listener.port)")
        let body = try #require((request["body"] as? String).flatMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect(body["alert"] as? String == "event" && body["host"] as? String == "lb1")
        let sent = try #require(body["event"] as? [String: Any])
        #expect(sent["kind"] as? String == "real-state" && sent["state"] as? String == "down" && sent["real"] as? String == "198.51.100.12:80")
        #expect(sent["service"] as? String == "web" && sent["previousState"] as? String == "up" && sent["sequence"] as? Int == 12)
        #expect(sent["at"] as? String == "2026-12-06T16:36:36Z")
    }

    @Test func anHTTPSWebhookIsVerifiedAgainstItsCA() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let files = try pki.issue("hook", dnsNames: [], ipAddresses: ["127.0.0.1"])
        let listener = try ListenerProcess("http", ["--tls", files.certificatePath, files.keyPath])
        defer { listener.stop() }
        let client = WebhookClient(group: MultiThreadedEventLoopGroup.singleton)
        try await client.post(Alert.event(event).json(host: "lb1"), to: webhook("https://127.0.0.1:\(listener.port)/", caFile: pki.caPath))
        #expect(listener.waitForEntries(1).count == 1)
        // Without the CA the system's roots do not know the server: nothing is sent.
        await #expect(throws: WebhookError.self) {
            try await client.post(Alert.event(event).json(host: "lb1"), to: webhook("https://127.0.0.1:\(listener.port)/"))
        }
        #expect(listener.entries().count == 1)
    }

    @Test func aWebhookThatRefusesOrNeverAnswersIsAnError() async throws {
        let refusing = try ListenerProcess("http", ["--status", "503"])
        defer { refusing.stop() }
        let client = WebhookClient(group: MultiThreadedEventLoopGroup.singleton)
        let refused = await #expect(throws: WebhookError.self) {
            try await client.post([], to: webhook("http://127.0.0.1:\(refusing.port)/"))
        }
        if case let .status(code, _)? = refused { #expect(code == 503) } else { Issue.record("\(String(describing: refused))") }
        // A socket that listens but never accepts: the connection is made, no answer comes.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in(sin_family: sa_family_t(AF_INET), sin_port: 0, sin_addr: in_addr(s_addr: inet_addr("127.0.0.1")), sin_zero: (0, 0, 0, 0, 0, 0, 0, 0))
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                _ = bind(silent, $0, length)
                _ = getsockname(silent, $0, &length)
            }
        }
        listen(silent, 8)
        let start = Date()
        await #expect(throws: WebhookError.timedOut(after: 0.5)) {
            try await client.post([], to: webhook("http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))/", timeout: 0.5))
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func anEmailArrivesWithItsEnvelopeHeadersAndBody() async throws {
        let listener = try ListenerProcess("smtp")
        defer { listener.stop() }
        let settings = EmailAlert(server: "127.0.0.1", port: listener.port, from: "usher@lb1.example.com",
                                  to: ["ops@example.com", "oncall@example.com"])
        let body = "web is down\n.a line with a leading dot\nend"
        try await SMTPClient(group: MultiThreadedEventLoopGroup.singleton, heloName: "lb1")
            .send(subject: "[usher] web is down", body: body, with: settings)
        let mail = try #require(listener.waitForEntries(1).first)
        #expect(mail["helo"] as? String == "lb1" && mail["tls"] as? Bool == false)
        #expect(mail["from"] as? String == "usher@lb1.example.com")
        #expect(mail["to"] as? [String] == ["ops@example.com", "oncall@example.com"])
        let data = try #require(mail["data"] as? String)
        #expect(data.contains("\r\nSubject: [usher] web is down\r\n") && data.hasPrefix("From: usher@lb1.example.com\r\n"))
        #expect(data.hasSuffix("\r\n\r\nweb is down\r\n.a line with a leading dot\r\nend\r\n"), "\(data)")
    }

    @Test func anEmailOverSTARTTLS() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let files = try pki.issue("mx", dnsNames: [], ipAddresses: ["127.0.0.1"])
        let listener = try ListenerProcess("smtp", ["--tls", files.certificatePath, files.keyPath])
        defer { listener.stop() }
        let settings = EmailAlert(server: "127.0.0.1", port: listener.port, startTLS: true, from: "usher@lb1.example.com",
                                  to: ["ops@example.com"], caFile: pki.caPath)
        try await SMTPClient(group: MultiThreadedEventLoopGroup.singleton, heloName: "lb1").send(subject: "s", body: "b", with: settings)
        let mail = try #require(listener.waitForEntries(1).first)
        #expect(mail["tls"] as? Bool == true && mail["helo"] as? String == "lb1")
    }

    @Test func aRefusedRecipientOrAMissingSTARTTLSIsAnError() async throws {
        let listener = try ListenerProcess("smtp", ["--reject-rcpt", "nobody@example.com"])
        defer { listener.stop() }
        let client = SMTPClient(group: MultiThreadedEventLoopGroup.singleton, heloName: "lb1")
        var settings = EmailAlert(server: "127.0.0.1", port: listener.port, from: "usher@lb1.example.com", to: ["nobody@example.com"])
        await #expect(throws: SMTPError.rejected(step: "RCPT TO:<nobody@example.com>", reply: SMTPReply(code: 550, lines: ["no such user"]))) {
            try await client.send(subject: "s", body: "b", with: settings)
        }
        settings.to = ["ops@example.com"]
        settings.startTLS = true
        await #expect(throws: SMTPError.noStartTLS) { try await client.send(subject: "s", body: "b", with: settings) }
        #expect(listener.entries().isEmpty)
    }

    @Test func theAlerterSendsTheFirstNAMinuteAndFoldsTheRest() async throws {
        let listener = try ListenerProcess("http")
        defer { listener.stop() }
        let settings = AlertSettings(webhook: try webhook("http://127.0.0.1:\(listener.port)/"), maxPerMinute: 2)
        let alerter = Alerter(settings: settings, group: MultiThreadedEventLoopGroup.singleton,
                              logger: Logger(label: "test"), host: "lb1")
        let running = Task { await alerter.run() }
        defer { running.cancel() }
        for i in 1...5 {
            var e = event
            e.sequence = i
            await alerter.offer(e)
        }
        await alerter.offer(DaemonEvent(kind: .apply, severity: .notice, message: "applied"))
        let first = listener.waitForEntries(2)
        try await Task.sleep(for: .seconds(1.5))
        let all = listener.entries()
        #expect(first.count == 2 && all.count == 2, "\(all.count) posts: the limit of 2 a minute was not kept")
        let sequences = all.compactMap { ($0["body"] as? String).flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } }
            .compactMap { ($0["event"] as? [String: Any])?["sequence"] as? Int }
        #expect(sequences == [1, 2])
        #expect(await alerter.delivered["webhook"] == 2)
    }
}
