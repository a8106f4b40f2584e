import Foundation

/// Why a line could not be sent to a syslog destination: the step and the system's reason.
public struct SyslogSocketError: Error, Sendable, CustomStringConvertible, Equatable {
    public var target: SyslogTarget
    public var step: String
    public var reason: String

    init(target: SyslogTarget, step: String, reason: String) {
        self.target = target
        self.step = step
        self.reason = reason
    }

    init(target: SyslogTarget, step: String, code: Int32) {
        let reason = code == EAGAIN || code == EWOULDBLOCK ? "timed out" : String(cString: strerror(code))
        self.init(target: target, step: step, reason: reason)
    }

    public var description: String { "syslog \(target): cannot \(step): \(reason)" }
}
