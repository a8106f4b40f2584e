import NIOCore
import NIOPosix
import Synchronization
import UsherCore
#if canImport(Glibc)
import Glibc
#endif

/// Where access log lines are written: a file descriptor owned by one dedicated thread, so
/// writes (which may block on a slow disk or a full pipe) never run on an event loop. Event
/// loops hand over batches of lines (`AccessLogBuffer`); the thread writes them in order.
final class AccessLogSink: Sendable {
    let target: AccessLogTarget
    private let fd: Int32
    private let thread: NIOThreadPool
    /// Lines dropped because a loop's backlog was full or a write failed.
    let droppedBatches = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)

    init(target: AccessLogTarget) throws {
        self.target = target
        switch target {
        case .none:
            fd = -1
        case .standardOutput:
            fd = dup(STDOUT_FILENO)
        case .file(let path):
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600) // client addresses: root only
            if fd < 0 {
                throw AccessLogError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
            }
        }
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
    }

    var isEnabled: Bool { fd >= 0 }

    /// Writes `batch` on the log thread; the future completes (on `loop`) when it is written.
    func write(_ batch: ByteBuffer, on loop: EventLoop) -> EventLoopFuture<Void> {
        let fd = self.fd
        return thread.runIfActive(eventLoop: loop) {
            try batch.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw AccessLogError.writeFailed(reason: String(cString: strerror(errno)))
                    }
                    offset += n
                }
            }
        }
    }

    /// Waits for queued batches, stops the thread and closes the file.
    func shutdown() async {
        guard closed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        try? await thread.shutdownGracefully()
        if fd >= 0 { close(fd) }
    }
}

public enum AccessLogError: Error, Equatable, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case writeFailed(reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, why):
            return "cannot open access log \(path): \(why); check the directory exists and is writable"
        case let .writeFailed(why):
            return "access log write failed: \(why)"
        }
    }
}
