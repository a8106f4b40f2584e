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
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connect refused"
            case EHOSTUNREACH: return "no route to host"
            case ENETUNREACH: return "network unreachable"
            case ETIMEDOUT: return "connect timed out"
            default: return "connect failed: \(io.description)"
            }
        }
        if let multiple = error as? NIOConnectionError, let first = multiple.connectionErrors.first {
            return connectError(first.error, seconds: seconds)
        }
        return "connect failed: \(error)"
    }
}
