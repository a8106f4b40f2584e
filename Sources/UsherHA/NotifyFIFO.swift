#if canImport(Glibc)
import Glibc
#endif

/// The FIFO keepalived writes its state changes to (`vrrp_notify_fifo`), one line each. Held
/// open for reading and writing, so it never reads end-of-file while keepalived restarts;
/// read without blocking.
final class NotifyFIFO {
    private let fd: Int32
    private var pending: [UInt8] = []

    /// Makes a new FIFO at `path` (0600; whatever was there is replaced, so that a writer of an
    /// old one cannot reach this reader) and opens it.
    init(path: String) throws(HAError) {
        unlink(path)
        if mkfifo(path, 0o600) != 0 {
            throw HAError("cannot make keepalived's notify FIFO \(path): \(String(cString: strerror(errno)))")
        }
        fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw HAError("cannot open keepalived's notify FIFO \(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// The whole lines written since the last call (at most 64 KiB read at once).
    func lines() -> [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { break }
            pending += buffer[0..<n]
        }
        var out: [String] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            out.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        if pending.count > 65536 { pending.removeAll() } // no line is that long: not keepalived's
        return out
    }
}
