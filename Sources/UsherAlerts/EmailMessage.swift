import Foundation

/// An alert as an Internet message (RFC 5322): headers and a plain-text UTF-8 body, and its form
/// for SMTP's DATA (CRLF line ends, a leading dot doubled (RFC 5321 §4.5.2), ending CRLF.CRLF).
struct EmailMessage: Sendable {
    var from: String
    var to: [String]
    var subject: String
    var body: String
    var date: Date
    var messageID: String

    /// The header and body, lines ending in CRLF.
    var text: String {
        var headers = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            // RFC 3834: no vacation replies to a machine.
            "Auto-Submitted: auto-generated",
        ]
        headers.append("")
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return (headers + lines.map(String.init)).joined(separator: "\r\n") + "\r\n"
    }

    /// The message as DATA sends it.
    var stuffed: [UInt8] {
        var out: [UInt8] = []
        var lineStart = true
        for byte in text.utf8 {
            if lineStart, byte == UInt8(ascii: ".") { out.append(UInt8(ascii: ".")) }
            out.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
        }
        out += Array(".\r\n".utf8)
        return out
    }

    /// A header value as is when ASCII, else as an RFC 2047 encoded word (UTF-8, base64).
    static func encodedWord(_ text: String) -> String {
        let oneLine = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        guard oneLine.utf8.contains(where: { $0 >= 0x80 }) else { return oneLine }
        return "=?utf-8?b?\(Data(oneLine.utf8).base64EncodedString())?="
    }

    /// `Sun, 06 Dec 2026 16:36:36 +0000` (RFC 5322 §3.3), in UTC.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
