import Foundation

/// BIRD's answer to `show protocols`, one row per protocol, parsed from the control socket's
/// reply: each line starts with a 4-digit code and `-` (more follows) or a space (last line),
/// or with a space alone (a continuation of the line before). 2002 is the header, 1002 a row,
/// 0000 the end; 8xxx and 9xxx are errors. A row reads
/// `NAME PROTO TABLE STATE SINCE INFO`, SINCE in the `iso long` format the rendered config sets
/// (`timeformat protocol iso long;`, bird's local time), INFO a BGP session's state
/// (Established, Idle, Active, Connect, OpenSent, OpenConfirm) and what went wrong, if anything.
public struct BirdProtocol: Sendable, Hashable {
    public var name: String
    /// BGP, Static, Device, BFD, …
    public var proto: String
    /// bird's state of the protocol: up, down, start, stop.
    public var state: String
    /// When it entered that state; nil when bird printed it in another format.
    public var since: Date?
    /// The rest of the row: for BGP the session's state, then its last error.
    public var info: String

    public init(name: String, proto: String, state: String, since: Date?, info: String) {
        self.name = name
        self.proto = proto
        self.state = state
        self.since = since
        self.info = info
    }

    /// An error line of bird's (code 8xxx or 9xxx), or a reply that is not bird's.
    public struct ReplyError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The rows of a whole `show protocols` reply, as read from the socket.
    public static func parse(_ reply: String, timeZone: TimeZone = .current) throws -> [BirdProtocol] {
        var rows: [BirdProtocol] = []
        for line in reply.split(separator: "\n", omittingEmptySubsequences: true) {
            let chars = Array(line)
            var code = 1002, body = Substring(line)
            if chars.count >= 5, chars[0..<4].allSatisfy(\.isNumber), chars[4] == "-" || chars[4] == " " {
                code = Int(String(chars[0..<4])) ?? 0
                body = line.dropFirst(5)
            } else if chars.first == " " {
                body = line.dropFirst() // a continuation of the code before: a row of the table
            } else {
                throw ReplyError(description: "bird's control socket answered `\(line)`, not a reply of BIRD 2")
            }
            if code >= 8000 {
                throw ReplyError(description: "bird refused `show protocols`: \(body.trimmingCharacters(in: .whitespaces))")
            }
            guard code == 1002, let row = row(body, timeZone: timeZone) else { continue }
            rows.append(row)
        }
        return rows
    }

    static func row(_ text: Substring, timeZone: TimeZone) -> BirdProtocol? {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard words.count >= 4 else { return nil }
        var rest = words.dropFirst(4)
        var since: Date?
        if rest.count >= 2, let date = Self.date(rest[rest.startIndex] + " " + rest[rest.startIndex + 1], timeZone) {
            since = date
            rest = rest.dropFirst(2)
        } else if let first = rest.first, first.contains(":") {
            rest = rest.dropFirst() // a time without its date: another timeformat than ours
        }
        return BirdProtocol(name: words[0], proto: words[1], state: words[3], since: since, info: rest.joined(separator: " "))
    }

    static func date(_ text: String, _ timeZone: TimeZone) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.date(from: text)
    }
}
