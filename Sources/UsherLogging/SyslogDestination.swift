import Foundation
import Synchronization

/// One syslog destination: a bounded queue of formatted lines and the thread that sends them.
/// `send` never waits: when the queue is full the line is dropped and counted. The thread
/// reconnects after a failure (at once for a datagram socket, after 1, 2, 4 … 30 s for TCP,
/// keeping the queued lines meanwhile) and says on stderr when a destination fails and when
/// it works again, with what was lost.
public final class SyslogDestination: @unchecked Sendable {
    public struct Statistics: Sendable, Equatable {
        public var target: SyslogTarget
        /// Lines handed to the socket.
        public var sent = 0
        /// Lines refused because the queue was full.
        public var dropped = 0
        /// Lines lost because sending failed.
        public var failed = 0
        /// Lines waiting.
        public var queued = 0
        /// The last failure, while it lasts.
        public var lastError: String?
    }

    public let target: SyslogTarget
    public let capacity: Int
    /// Guards everything below; the thread waits on it for lines.
    private let condition = NSCondition()
    private var pending: [[UInt8]] = []
    private var statistics: Statistics
    private var stopping = false
    private var finished = false
    private let report: @Sendable (String) -> Void

    /// Starts the sending thread. `report` hears of failures and recoveries (stderr by default).
    public init(target: SyslogTarget, capacity: Int, timeout: Double = 2,
                report: @escaping @Sendable (String) -> Void = SyslogDestination.writeToStandardError) {
        self.target = target
        self.capacity = capacity
        self.statistics = Statistics(target: target)
        self.report = report
        let thread = Thread { [self] in run(SyslogSocket(target: target, timeout: timeout)) }
        thread.name = "usher-syslog"
        thread.start()
    }

    /// Queues a line; drops it (counted) when the queue is full or the destination closed.
    public func send(_ message: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping, pending.count < capacity else {
            statistics.dropped += 1
            return
        }
        pending.append(message)
        condition.signal()
    }

    public func snapshot() -> Statistics {
        condition.lock()
        defer { condition.unlock() }
        var s = statistics
        s.queued = pending.count
        return s
    }

    /// Stops taking lines, and waits up to `timeout` seconds for the queued ones to go out.
    /// Returns whether they all did.
    @discardableResult
    public func close(timeout: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while !finished, condition.wait(until: deadline) {}
        return finished
    }

    // MARK: The thread

    private func run(_ socket: SyslogSocket) {
        var backoff = 1.0
        var notBefore: Date?
        var failing = false
        while let batch = nextBatch(notBefore: notBefore) {
            var sent = 0, lost = 0
            var error: SyslogSocketError?
            var index = 0
            while index < batch.count {
                do {
                    try sendRetryingOnce(batch[index], on: socket)
                    sent += 1
                } catch let e {
                    error = e
                    if target.isStream {
                        // The server is away: keep this line and the rest for after the pause.
                        requeue(batch[index...])
                        break
                    }
                    lost += 1
                }
                index += 1
            }
            if let error {
                notBefore = target.isStream ? Date(timeIntervalSinceNow: backoff) : nil
                backoff = min(backoff * 2, 30)
                if !failing { report("usher: \(error); lines wait (TCP) or are lost (datagrams) until it works again") }
                failing = true
            } else {
                notBefore = nil
                backoff = 1
            }
            let totals = record(sent: sent, lost: lost, error: error)
            if failing, error == nil {
                failing = false
                report("usher: syslog \(target) works again (\(totals.failed) lines lost and \(totals.dropped) dropped for a full queue since the start)")
            }
        }
    }

    /// A failed send closed the socket; the second try connects again (a restarted syslogd's
    /// new socket, a TCP connection the server closed).
    private func sendRetryingOnce(_ line: [UInt8], on socket: SyslogSocket) throws(SyslogSocketError) {
        do {
            try socket.send(line)
        } catch {
            try socket.send(line)
        }
    }

    /// Waits for lines (after a TCP failure, also until `notBefore`) and takes them all; nil
    /// once closed with nothing that can still go out.
    private func nextBatch(notBefore: Date?) -> [[UInt8]]? {
        condition.lock()
        defer { condition.unlock() }
        while pending.isEmpty, !stopping { condition.wait() }
        if let notBefore {
            while !stopping, condition.wait(until: notBefore) {}
        }
        // Closing while the TCP server is away: what waits is lost.
        if pending.isEmpty || (stopping && notBefore != nil) {
            statistics.failed += pending.count
            pending.removeAll()
            finished = true
            condition.broadcast()
            return nil
        }
        defer { pending.removeAll(keepingCapacity: true) }
        return pending
    }

    private func requeue(_ lines: ArraySlice<[UInt8]>) {
        condition.lock()
        defer { condition.unlock() }
        let room = max(0, capacity - pending.count)
        pending.insert(contentsOf: lines.prefix(room), at: 0)
        statistics.dropped += max(0, lines.count - room)
    }

    private func record(sent: Int, lost: Int, error: SyslogSocketError?) -> Statistics {
        condition.lock()
        defer { condition.unlock() }
        statistics.sent += sent
        statistics.failed += lost
        statistics.lastError = error?.description
        return statistics
    }

    public static let writeToStandardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
