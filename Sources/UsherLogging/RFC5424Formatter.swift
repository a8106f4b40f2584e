import Foundation

/// Writes one log line as an RFC 5424 message:
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD-ID name="value"...] MSG`.
///
/// The structured data has one element, `usher@32473`: the `name@number` form of §7.2.2 is
/// for SD-IDs that are not registered with IANA, and 32473 is the private enterprise number
/// RFC 5612 reserves for documentation and examples (Usher has none of its own). Its params
/// are the log line's metadata (service, real, state, …), sorted by name.
public struct RFC5424Formatter: Sendable {
    public static let structuredDataID = "usher@32473"
    /// The byte order mark that starts a MSG in UTF-8 (§6.4).
    static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    public var facility: Int
    public var hostname: String
    public var appName: String
    public var procID: String

    public init(facility: Int, hostname: String, appName: String = "usher", procID: String) {
        self.facility = facility
        self.hostname = hostname
        self.appName = appName
        self.procID = procID
    }

    /// The message for a line of `severity` (0-7) at `timestamp`. `messageID` nil is `-`;
    /// `parameters` with no entry leave the structured data `-`.
    public func format(severity: Int, timestamp: Date, messageID: String?, parameters: [(String, String)], message: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + message.utf8.count)
        out += Array("<\(facility * 8 + severity)>1 ".utf8)
        out += Self.timestamp(timestamp).utf8
        for (field, limit) in [(hostname, 255), (appName, 48), (procID, 128), (messageID ?? "", 32)] {
            out.append(UInt8(ascii: " "))
            out += Self.headerField(field, limit: limit)
        }
        out.append(UInt8(ascii: " "))
        if parameters.isEmpty {
            out.append(UInt8(ascii: "-"))
        } else {
            out += Array("[\(Self.structuredDataID)".utf8)
            for (name, value) in parameters.sorted(by: { $0.0 < $1.0 }) {
                out.append(UInt8(ascii: " "))
                out += Self.name(name)
                out += [UInt8(ascii: "="), UInt8(ascii: "\"")]
                out += Self.escaped(value)
                out.append(UInt8(ascii: "\""))
            }
            out.append(UInt8(ascii: "]"))
        }
        if !message.isEmpty {
            out.append(UInt8(ascii: " "))
            // MSG-ANY for ASCII; in UTF-8 it must start with the BOM (§6.4).
            if message.utf8.contains(where: { $0 >= 0x80 }) { out += Self.bom }
            out += message.utf8
        }
        return out
    }

    /// `2026-12-06T16:36:36.123456Z`: RFC 3339 in UTC with microseconds (§6.2.3).
    static func timestamp(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        var seconds = time_t(interval.rounded(.down))
        var micros = Int(((interval - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// A header field: printable US-ASCII (33-126) only, anything else `_`, at most `limit`
    /// characters; empty is the NILVALUE `-` (§6.2).
    static func headerField(_ text: String, limit: Int) -> [UInt8] {
        let bytes = text.unicodeScalars.prefix(limit).map { $0.value >= 33 && $0.value <= 126 ? UInt8($0.value) : UInt8(ascii: "_") }
        return bytes.isEmpty ? [UInt8(ascii: "-")] : bytes
    }

    /// A PARAM-NAME (an SD-NAME, §6.3.2): 1-32 printable US-ASCII characters except `=`, space,
    /// `]` and `"`; others become `_`.
    static func name(_ text: String) -> [UInt8] {
        let forbidden: Set<UInt32> = [0x3D, 0x20, 0x5D, 0x22]
        let bytes = text.unicodeScalars.prefix(32).map {
            $0.value >= 33 && $0.value <= 126 && !forbidden.contains($0.value) ? UInt8($0.value) : UInt8(ascii: "_")
        }
        return bytes.isEmpty ? [UInt8(ascii: "_")] : bytes
    }

    /// A PARAM-VALUE in UTF-8 with `"`, `\` and `]` escaped by a backslash (§6.3.3).
    static func escaped(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "]") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return out
    }

    /// `bytes` cut to at most `limit`, never inside a UTF-8 character.
    public static func truncated(_ bytes: [UInt8], to limit: Int) -> [UInt8] {
        guard bytes.count > limit else { return bytes }
        var end = limit
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(bytes[..<end])
    }
}
