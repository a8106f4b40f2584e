import CEpoll
import Glibc
import Foundation
import NIOCore
import Synchronization

/// The TCP and plain-HTTP checks at scale: plain non-blocking sockets served by one epoll thread,
/// instead of a SwiftNIO channel (a pipeline, handlers, futures) per check. A check is a connect,
/// at most one small write and a few reads, so what it costs is the kernel's TCP handshake and
/// little else; closing with a reset (SO_LINGER 0, as HAProxy's checks do) leaves no TIME_WAIT
/// behind, so 10,000 reals checked every 2 s do not fill the port range.
///
/// The caller makes and connects the socket on its own thread, which is in the namespace the
/// check must start from; the prober thread only waits. Everything about a registered socket —
/// its reads and writes, its deadline, its close — happens on the prober thread, so a deadline
/// can never close a descriptor that is being read or was already reused.
final class SocketProber: Sendable {
    /// How a check that writes a request judges the answer; used only on the prober thread.
    protocol Exchange: AnyObject {
        /// New bytes of the answer: a result when they decide the check.
        func received(_ bytes: UnsafeRawBufferPointer) -> ProbeResult?
        /// The peer closed: the result now.
        func ended() -> ProbeResult
    }

    static let shared = SocketProber()

    private struct Registration: @unchecked Sendable {
        let fd: Int32
        let deadline: UInt64
        let timeoutSeconds: Double
        /// Written once connected.
        let request: [UInt8]
        /// Judges the answer; nil: the check passes once connected and `request` is written.
        let exchange: (any Exchange)?
        let outcome: EventLoopPromise<ProbeResult>
    }

    private let epoll: Int32
    private let wake: Int32
    private let inbox = Mutex<[Registration]>([])

    /// Why the prober cannot run (no epoll or eventfd descriptor): every check fails with it.
    private let setupError: String?

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        let epollError = errno
        wake = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: UInt64.max))
        guard epoll >= 0, wake >= 0, epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event) == 0 else {
            setupError = "cannot run checks: no epoll or eventfd (\(String(cString: strerror(epoll < 0 ? epollError : errno))))"
            return
        }
        setupError = nil
        let thread = Thread { [epoll, wake, self] in
            var loop = ProberLoop(epoll: epoll, wake: wake)
            loop.run { self.inbox.withLock { queue in defer { queue.removeAll(keepingCapacity: true) }; return queue } }
        }
        thread.name = "usher-health-prober"
        thread.start()
    }

    /// Connects a new socket to `address` from the calling thread's namespace and hands it to
    /// the prober thread, which writes `request` once connected. `outcome` is completed with what
    /// `exchange` decides, or without one passed once connected and written; failed at the
    /// deadline, or here when the connect fails at once. The prober completes the outcomes of
    /// each of its wake-ups together, with one task per event loop.
    func probe(address: UnsafePointer<sockaddr>, length: socklen_t, timeoutSeconds: Double, request: [UInt8] = [],
               exchange: (any Exchange)? = nil, outcome: EventLoopPromise<ProbeResult>) {
        if let setupError { return outcome.succeed(.failed(setupError)) }
        let fd = socket(Int32(address.pointee.sa_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            outcome.succeed(.failed("cannot open a socket: \(String(cString: strerror(errno)))"))
            return
        }
        // Close with a reset: no FIN exchange, no TIME_WAIT (the check's answer is already in).
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        if exchange != nil { // a request and its answer: no Nagle delay on the request
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if connect(fd, address, length) != 0, errno != EINPROGRESS {
            let error = errno
            close(fd)
            outcome.succeed(.failed(ProbeText.connectError(errno: error)))
            return
        }
        let deadline = ProberLoop.now() + UInt64(max(timeoutSeconds, 0) * 1e9)
        let registration = Registration(fd: fd, deadline: deadline, timeoutSeconds: timeoutSeconds, request: request,
                                        exchange: exchange, outcome: outcome)
        let first = inbox.withLock { queue in
            queue.append(registration)
            return queue.count == 1
        }
        if first {
            var one: UInt64 = 1
            _ = write(wake, &one, 8)
        }
    }

    /// The prober thread's own state: the sockets it serves and their deadlines.
    private struct ProberLoop {
        let epoll: Int32
        let wake: Int32

        /// A socket being checked; `generation` tells its events from those of an earlier socket
        /// that had the same descriptor.
        private struct Pending {
            let registration: Registration
            let generation: UInt32
            var connected = false
            var unwritten: ArraySlice<UInt8> = []
        }

        private var pending: [Int32: Pending] = [:]
        private var deadlines = DeadlineHeap()
        private var generation: UInt32 = 0
        /// Outcomes decided in this wake-up, completed together at its end.
        private var completed: [(EventLoopPromise<ProbeResult>, ProbeResult)] = []
        /// Where answers are read into; never freed (the prober lives as long as the process).
        private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024, alignment: 8)

        init(epoll: Int32, wake: Int32) {
            self.epoll = epoll
            self.wake = wake
        }

        static func now() -> UInt64 {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        }

        mutating func run(drain: () -> [Registration]) {
            var events = [epoll_event](repeating: epoll_event(), count: 256)
            while true {
                let now = Self.now()
                expire(now: now)
                deliver()
                let wait = deadlines.first.map { Int32(min(($0 > now ? $0 - now : 0) / 1_000_000 + 1, 1000)) } ?? 1000
                let count = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), wait) }
                guard count >= 0 else { continue } // EINTR
                for event in events.prefix(Int(count)) {
                    let data = event.data.u64
                    if data == UInt64.max {
                        var value: UInt64 = 0
                        _ = read(wake, &value, 8)
                        for registration in drain() { register(registration) }
                    } else {
                        handle(fd: Int32(truncatingIfNeeded: data & 0xffff_ffff), generation: UInt32(data >> 32), events: event.events)
                    }
                }
            }
        }

        private mutating func register(_ registration: Registration) {
            generation &+= 1
            let fd = registration.fd
            var event = epoll_event(events: EPOLLOUT.rawValue, data: epoll_data_t(u64: UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))))
            guard epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0 else {
                let error = errno
                close(fd)
                completed.append((registration.outcome, .failed("cannot wait for the connect: \(String(cString: strerror(error)))")))
                return
            }
            pending[fd] = Pending(registration: registration, generation: generation)
            deadlines.insert(registration.deadline, fd: fd, generation: generation)
        }

        private mutating func handle(fd: Int32, generation: UInt32, events: UInt32) {
            guard var entry = pending[fd], entry.generation == generation else { return }
            if !entry.connected {
                var error: Int32 = 0
                var size = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size)
                if error != 0 { return finish(fd, .failed(ProbeText.connectError(errno: error))) }
                if events & EPOLLOUT.rawValue == 0 { return finish(fd, .failed("connect failed")) }
                entry.connected = true
                if entry.registration.request.isEmpty, entry.registration.exchange == nil { return finish(fd, .passed) }
                entry.unwritten = entry.registration.request[...]
            }
            if !entry.unwritten.isEmpty {
                let sent = entry.unwritten.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 {
                    if errno == EAGAIN { pending[fd] = entry; return }
                    return finish(fd, .failed("cannot send the request: \(String(cString: strerror(errno)))"))
                }
                entry.unwritten = entry.unwritten.dropFirst(sent)
                pending[fd] = entry
                if !entry.unwritten.isEmpty { return }
                if entry.registration.exchange == nil {
                    // A connect-only check's PROXY header: a graceful close, so the server reads it.
                    var linger = Glibc.linger(l_onoff: 0, l_linger: 0)
                    setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                    return finish(fd, .passed)
                }
                var event = epoll_event(events: EPOLLIN.rawValue | EPOLLRDHUP.rawValue,
                                        data: epoll_data_t(u64: UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))))
                epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
                return
            }
            pending[fd] = entry
            guard let exchange = entry.registration.exchange else { return }
            while true {
                let got = recv(fd, buffer.baseAddress, buffer.count, 0)
                if got > 0 {
                    if let result = exchange.received(UnsafeRawBufferPointer(rebasing: buffer.prefix(got))) {
                        return finish(fd, result)
                    }
                    continue
                }
                if got == 0 { return finish(fd, exchange.ended()) }
                if errno == EAGAIN { return }
                if errno == EINTR { continue }
                if errno == ECONNRESET { return finish(fd, .failed("connection reset before a complete answer")) }
                return finish(fd, .failed("cannot read the answer: \(String(cString: strerror(errno)))"))
            }
        }

        /// Closes (with a reset, unless the linger was set back) and reports.
        private mutating func finish(_ fd: Int32, _ result: ProbeResult) {
            guard let entry = pending.removeValue(forKey: fd) else { return }
            close(fd) // also removes it from the epoll set
            completed.append((entry.registration.outcome, result))
        }

        /// Completes the outcomes of this wake-up: one task on each event loop, not one wake-up
        /// of the loop per check.
        private mutating func deliver() {
            guard !completed.isEmpty else { return }
            var byLoop: [ObjectIdentifier: (EventLoop, [(EventLoopPromise<ProbeResult>, ProbeResult)])] = [:]
            for (outcome, result) in completed {
                let loop = outcome.futureResult.eventLoop
                byLoop[ObjectIdentifier(loop), default: (loop, [])].1.append((outcome, result))
            }
            for (loop, batch) in byLoop.values {
                loop.execute { for (outcome, result) in batch { outcome.succeed(result) } }
            }
            completed.removeAll(keepingCapacity: true)
        }

        private mutating func expire(now: UInt64) {
            while let (fd, generation) = deadlines.popExpired(now: now) {
                guard let entry = pending[fd], entry.generation == generation else { continue }
                let seconds = ProbeText.seconds(entry.registration.timeoutSeconds)
                finish(fd, .failed(entry.connected ? "no answer within \(seconds)" : "connect timed out after \(seconds)"))
            }
        }
    }
}
