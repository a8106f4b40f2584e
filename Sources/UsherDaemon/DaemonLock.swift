import Foundation
import UsherCore

/// One daemon per state directory: an exclusive `flock` on `<state dir>/daemon.lock`, held for
/// the daemon's life (the kernel drops it when the process dies, however it dies).
final class DaemonLock: Sendable {
    private let fd: Int32

    init(stateDirectory: String) throws {
        try StateStore(directory: stateDirectory).createDirectory()
        let path = stateDirectory + "/daemon.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError("cannot open \(path): \(String(cString: strerror(errno))); run as root, or give --state-dir")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let who = DaemonStatus.running(in: stateDirectory).map { " (pid \($0.pid))" } ?? ""
            throw DaemonError("another usher daemon runs over \(stateDirectory)\(who); stop it first, or give another --state-dir")
        }
        self.fd = fd
    }

    deinit {
        close(fd)
    }
}

/// A failure that stops the daemon from starting, in words that say what to do.
public struct DaemonError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ message: String) {
        description = message
    }
}
