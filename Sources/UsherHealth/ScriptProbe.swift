import NIOCore
import UsherCore

/// A `script` check: the program runs in a process group of its own with the real and service
/// in its environment; exit 0 passes. Its end is polled from the event loop (never a blocking
/// wait); past the timeout the whole group gets SIGKILL, then is reaped.
struct ScriptProbe: Sendable {
    let script: ScriptCheck
    let destination: ProbeTarget
    let timeoutSeconds: Double

    /// First poll after 2 ms, then each one 1.5× later, at most every 50 ms.
    static let firstPoll = 0.002
    static let longestPoll = 0.05
    /// After SIGKILL, how long reaping is retried before giving up on it.
    static let reapLimit = 5.0

    var environment: [String: String] {
        let target = destination.target
        return [
            "USHER_SERVICE": target.service,
            "USHER_POOL": target.pool ?? "",
            "USHER_REAL_ADDRESS": "\(target.address)",
            "USHER_REAL_PORT": "\(target.port)",
            "USHER_CHECK_ADDRESS": "\(destination.address)",
            "USHER_CHECK_PORT": "\(destination.port)",
        ]
    }

    func run(on eventLoop: EventLoop, outcome: EventLoopPromise<ProbeResult>) {
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(path: script.path, arguments: script.arguments, environment: environment)
        } catch {
            outcome.succeed(.failed("\(error)"))
            return
        }
        let deadline = NIODeadline.now() + .nanoseconds(Int64(timeoutSeconds * 1e9))
        poll(child, on: eventLoop, after: Self.firstPoll, deadline: deadline, outcome: outcome)
    }

    private func poll(_ child: ChildProcess, on eventLoop: EventLoop, after delay: Double, deadline: NIODeadline,
                      outcome: EventLoopPromise<ProbeResult>) {
        eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) {
            if let exit = child.poll() {
                switch exit {
                case .exited(0): outcome.succeed(.passed)
                case let .exited(code): outcome.succeed(.failed("script exited with status \(code)"))
                case let .signaled(signal): outcome.succeed(.failed("script killed by signal \(signal)"))
                }
            } else if NIODeadline.now() >= deadline {
                child.killGroup()
                outcome.succeed(.failed("script still running after \(ProbeText.seconds(self.timeoutSeconds)), killed"))
                Self.reap(child, on: eventLoop, until: .now() + .nanoseconds(Int64(Self.reapLimit * 1e9)))
            } else {
                self.poll(child, on: eventLoop, after: min(delay * 1.5, Self.longestPoll), deadline: deadline, outcome: outcome)
            }
        }
    }

    /// Collects a killed child so no zombie is left.
    private static func reap(_ child: ChildProcess, on eventLoop: EventLoop, until limit: NIODeadline) {
        eventLoop.scheduleTask(in: .milliseconds(10)) {
            if child.poll() == nil, NIODeadline.now() < limit { reap(child, on: eventLoop, until: limit) }
        }
    }
}
