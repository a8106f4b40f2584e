import Foundation
import Testing
@testable import UsherAlerts

/// An alert as an Internet message, and its DATA form (RFC 5321 §4.5.2 dot-stuffing).
@Suite struct EmailMessageTests {
    let message = EmailMessage(from: "usher@lb1.example.com", to: ["a@example.com", "b@example.com"],
                               subject: "[usher] web is down", body: "line one\n.starts with a dot\n..two\n.",
                               date: Date(timeIntervalSince1970: 1_796_574_996), messageID: "1@lb1")

    @Test func headersThenTheBodyWithCRLF() {
        #expect(message.text == [
            "From: usher@lb1.example.com", "To: a@example.com, b@example.com", "Subject: [usher] web is down",
            "Date: Sun, 06 Dec 2026 16:36:36 +0000", "Message-ID: <1@lb1>", "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit", "Auto-Submitted: auto-generated", "",
            "line one", ".starts with a dot", "..two", ".", "",
        ].joined(separator: "\r\n"))
    }

    @Test func dataDoublesEveryLeadingDotAndEndsWithALoneDot() {
        let text = String(decoding: message.stuffed, as: UTF8.self)
        #expect(text.hasSuffix("\r\nline one\r\n..starts with a dot\r\n...two\r\n..\r\n.\r\n"))
    }

    @Test func aSubjectInUTF8IsAnEncodedWord() {
        #expect(EmailMessage.encodedWord("réel down") == "=?utf-8?b?csOpZWwgZG93bg==?=")
        #expect(EmailMessage.encodedWord("a\r\nBcc: x@example.com") == "a  Bcc: x@example.com")
    }
}
