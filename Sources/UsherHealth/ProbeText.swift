import Foundation
import NIOPosix
import NIOCore

/// How probes say what went wrong.
enum ProbeText {
    /// `1s`, `0.5s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }

    /// "connect refused", "connect timed out after 1s", "no route to host", …
    static func connectError(_ error: Error, seconds: Double) -> String {
        if case ChannelError.connectTimeout = error { return "connect timed out after \(Self.seconds(seconds))" }
        if let io = error as? IOError { return connectError(errno: io.errnoCode) }
        if let multiple = error as? NIOConnectionError, let first = multiple.connectionErrors.first {
            return connectError(first.error, seconds: seconds)
        }
        return "connect failed: \(error)"
    }

    /// The same words for a connect's errno.
    static func connectError(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: return "connect refused"
        case EHOSTUNREACH: return "no route to host"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "connect timed out"
        default: return "connect failed: \(String(cString: strerror(code)))"
        }
    }

    /// Text from a server, fit for a log line: quoted, control bytes escaped, at most 60 characters.
    static func quoted(_ text: Substring) -> String {
        let cut: String = text.count > 60 ? text.prefix(60) + "…" : String(text)
        return "\"" + cut.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? $0.escaped(asASCII: true) : String($0) }.joined() + "\""
    }
}
