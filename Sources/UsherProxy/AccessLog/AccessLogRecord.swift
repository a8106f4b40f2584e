import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// One request as the access log records it.
struct AccessLogRecord {
    var client: SocketAddress?
    var service: String
    var method: String
    var target: String
    var status: UInt
    /// Response body bytes written to the client.
    var bytesSent: Int
    /// The real server that answered (`-` for answers the proxy made itself).
    var realServer: String?
    var timeToFirstByte: TimeAmount?
    var total: TimeAmount

    /// Appends one line:
    /// `2025-06-01T10:00:00.123Z 192.0.2.7:53422 web "GET /a?b=1" 200 1234 198.51.100.10:8080 ttfb_ms=1.234 total_ms=2.345`
    func write(to buffer: inout ByteBuffer, wallClock: timespec) {
        AccessLogRecord.writeTimestamp(wallClock, to: &buffer)
        buffer.writeInteger(UInt8(ascii: " "))
        if let client {
            buffer.writeString(client.logDescription)
        } else {
            buffer.writeInteger(UInt8(ascii: "-"))
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(service)
        buffer.writeString(" \"")
        AccessLogRecord.writeSanitized(method, to: &buffer, limit: 32)
        buffer.writeInteger(UInt8(ascii: " "))
        AccessLogRecord.writeSanitized(target, to: &buffer, limit: 2048)
        buffer.writeString("\" ")
        buffer.writeString(String(status))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(String(bytesSent))
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(realServer ?? "-")
        buffer.writeString(" ttfb_ms=")
        if let t = timeToFirstByte { AccessLogRecord.writeMilliseconds(t, to: &buffer) } else { buffer.writeInteger(UInt8(ascii: "-")) }
        buffer.writeString(" total_ms=")
        AccessLogRecord.writeMilliseconds(total, to: &buffer)
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// Quotes and control characters become `\xNN`, so a line stays one line and parseable.
    static func writeSanitized(_ text: String, to buffer: inout ByteBuffer, limit: Int) {
        var n = 0
        for b in text.utf8 {
            if n >= limit {
                buffer.writeString("...")
                return
            }
            n += 1
            if b < 0x20 || b == 0x7f || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                let hex = Array("0123456789abcdef".utf8)
                buffer.writeBytes([UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(b >> 4)], hex[Int(b & 0xf)]])
            } else {
                buffer.writeInteger(b)
            }
        }
    }

    static func writeMilliseconds(_ t: TimeAmount, to buffer: inout ByteBuffer) {
        let micros = max(0, t.nanoseconds / 1000)
        buffer.writeString(String(micros / 1000))
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeString(String(micros % 1000).leftPadded(to: 3))
    }

    /// ISO 8601 UTC with milliseconds, without Foundation's formatters (slow, allocating).
    static func writeTimestamp(_ ts: timespec, to buffer: inout ByteBuffer) {
        var seconds = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) { buffer.writeString(String(v).leftPadded(to: 2)) }
        buffer.writeString(String(parts.tm_year + 1900))
        buffer.writeInteger(UInt8(ascii: "-")); two(parts.tm_mon + 1)
        buffer.writeInteger(UInt8(ascii: "-")); two(parts.tm_mday)
        buffer.writeInteger(UInt8(ascii: "T")); two(parts.tm_hour)
        buffer.writeInteger(UInt8(ascii: ":")); two(parts.tm_min)
        buffer.writeInteger(UInt8(ascii: ":")); two(parts.tm_sec)
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeString(String(ts.tv_nsec / 1_000_000).leftPadded(to: 3))
        buffer.writeInteger(UInt8(ascii: "Z"))
    }

    static func now() -> timespec {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts
    }
}

extension SocketAddress {
    /// `192.0.2.7:53422`, `[2001:db8::7]:53422`.
    var logDescription: String {
        switch self {
        case .v4: return "\(ipAddress ?? "?"):\(port ?? 0)"
        case .v6: return "[\(ipAddress ?? "?")]:\(port ?? 0)"
        case .unixDomainSocket: return "unix"
        }
    }
}
