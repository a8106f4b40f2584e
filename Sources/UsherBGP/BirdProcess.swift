import Foundation
import Logging
import Synchronization
import UsherHealth

/// `bird` running in the foreground as the daemon's child, restarted a second after it ends,
/// and killed when the daemon ends in any way, so its BGP sessions never outlive the daemon:
/// it is started through `setpriv --pdeathsig KILL` from a thread of its own that lives exactly
/// as long as it (the kernel signals the child when the thread that started it ends).
public final class BirdProcess: Sendable {
    public static let defaultBird = "/usr/sbin/bird"
    static let setpriv = "/usr/bin/setpriv"

    public let birdPath: String
    public let configPath: String
    public let socketPath: String
    let logger: Logger
    private let state = Mutex(State())
    private let finished = Atomic<Bool>(false)

    private struct State {
        var pid: pid_t = 0
        var stopping = false
        var starts = 0
    }

    public init(birdPath: String = BirdProcess.defaultBird, configPath: String, socketPath: String, logger: Logger) {
        self.birdPath = birdPath
        self.configPath = configPath
        self.socketPath = socketPath
        self.logger = logger
    }

    /// How many times bird was started (1 while the first one runs).
    public var starts: Int { state.withLock { $0.starts } }

    /// Starts bird and keeps it running until `stop`.
    public func start() {
        let thread = Thread { [self] in supervise() }
        thread.name = "usher-bird"
        thread.start()
    }

    private func supervise() {
        defer { finished.store(true, ordering: .releasing) }
        while !state.withLock({ $0.stopping }) {
            let child: ChildProcess
            do {
                child = try ChildProcess.spawn(path: Self.setpriv, arguments: [
                    "--pdeathsig", "KILL", "--", birdPath, "-f", "-c", configPath, "-s", socketPath,
                ])
            } catch {
                logger.error("cannot start bird; trying again in 1 s", metadata: ["error": "\(error)"])
                sleep(1)
                continue
            }
            let stopNow = state.withLock { state in
                state.pid = child.pid
                state.starts += 1
                return state.stopping
            }
            if stopNow { kill(child.pid, SIGTERM) }
            var status: Int32 = 0
            while waitpid(child.pid, &status, 0) < 0, errno == EINTR {}
            state.withLock { $0.pid = 0 }
            if state.withLock({ $0.stopping }) { return }
            logger.error("bird ended (status \(status)): its BGP sessions are down; starting it again in 1 s",
                         metadata: ["config": "\(configPath)"])
            sleep(1)
        }
    }

    /// Ends bird (SIGTERM: it closes its sessions with a Cease; SIGKILL after `grace` seconds)
    /// and waits for the supervising thread to end.
    public func stop(grace: Double = 1) {
        let pid = state.withLock { state in
            state.stopping = true
            return state.pid
        }
        if pid > 0 { kill(pid, SIGTERM) }
        let deadline = Date().addingTimeInterval(grace)
        while !finished.load(ordering: .acquiring), Date() < deadline { usleep(10_000) }
        let left = state.withLock { $0.pid }
        if left > 0 { kill(left, SIGKILL) }
        let last = Date().addingTimeInterval(2)
        while !finished.load(ordering: .acquiring), Date() < last { usleep(10_000) }
    }
}
