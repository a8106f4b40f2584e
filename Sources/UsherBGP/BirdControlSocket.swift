import Foundation
import UsherCore

/// One exchange with bird over its control socket (what birdc does): connect, read the
/// greeting, send one command, read the reply up to its last line (four digits and a space),
/// close. Every step is bounded by `timeout` seconds in all, so a stuck bird never holds the
/// caller; no process is started.
public enum BirdControlSocket {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The whole reply to `command` (a line without a newline), as bird wrote it.
    public static func ask(_ command: String, socketPath: String, timeout: Double = 1) throws -> String {
        guard let address = UnixSocketAddress(socketPath) else {
            throw Failure(description: "bird's socket path \(socketPath) is too long for a Unix socket")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot make a socket for bird: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var wait = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
        guard address.connect(fd) == 0 else {
            throw Failure(description: "bird does not answer on \(socketPath): \(String(cString: strerror(errno)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        _ = try readReply(fd, socketPath, deadline) // the greeting: 0001 BIRD 2.x ready.
        let line = Array((command + "\n").utf8)
        guard line.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == line.count else {
            throw Failure(description: "cannot send `\(command)` to bird on \(socketPath): \(String(cString: strerror(errno)))")
        }
        return try readReply(fd, socketPath, deadline)
    }

    /// Reads until a line of four digits and a space ends the reply.
    private static func readReply(_ fd: Int32, _ socketPath: String, _ deadline: Date) throws -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while !endsReply(bytes) {
            guard Date() < deadline else {
                throw Failure(description: "bird on \(socketPath) did not finish its reply in time")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw Failure(description: "bird on \(socketPath) closed or stalled mid-reply" +
                              (n < 0 ? ": \(String(cString: strerror(errno)))" : ""))
            }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether the last complete line is `DDDD ` (a reply's last line).
    static func endsReply(_ bytes: [UInt8]) -> Bool {
        guard bytes.last == UInt8(ascii: "\n") else { return false }
        let start = bytes.dropLast().lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = bytes[start...]
        guard line.count >= 6 else { return false }
        return line.prefix(4).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } && line[start + 4] == UInt8(ascii: " ")
    }
}
