import Foundation
import UsherCore

/// Tells systemd how the daemon is doing (sd_notify(3) without libsystemd): a datagram to the
/// socket named by NOTIFY_SOCKET (`@` for the abstract namespace). Without NOTIFY_SOCKET (not
/// run by systemd) every call does nothing.
struct SystemdNotifier: Sendable {
    let socketPath: String?
    /// Half of WATCHDOG_USEC, when systemd watches this process; nil otherwise.
    let watchdogInterval: Duration?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0,
           environment["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            watchdogInterval = .microseconds(Int64(usec / 2))
        } else {
            watchdogInterval = nil
        }
    }

    func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    func reloading() { send("RELOADING=1") }
    func reloaded(status: String) { send("READY=1\nSTATUS=\(status)") }
    func stopping() { send("STOPPING=1") }
    func watchdog() { send("WATCHDOG=1") }
    func status(_ text: String) { send("STATUS=\(text)") }

    private func send(_ message: String) {
        guard let socketPath else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        guard let address = UnixSocketAddress(socketPath, abstract: true) else { return }
        let bytes = Array(message.utf8)
        _ = address.withSockaddr { sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL), $0, $1) }
    }
}
