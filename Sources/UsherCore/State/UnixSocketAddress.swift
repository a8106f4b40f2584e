import Foundation

/// A `sockaddr_un` made from a path, for `connect` and `sendto` on Unix sockets (the daemon's API
/// socket, bird's control socket, the local syslog, systemd's notify socket): the path checked
/// against `sun_path`'s size once, here.
public struct UnixSocketAddress {
    private var address = sockaddr_un()
    private let length: socklen_t

    /// nil when `path` is empty or too long for `sun_path`. With `abstract`, a leading `@` names
    /// an abstract socket (as systemd's NOTIFY_SOCKET may).
    public init?(_ path: String, abstract: Bool = false) {
        var bytes = Array(path.utf8)
        let isAbstract = abstract && bytes.first == UInt8(ascii: "@")
        if isAbstract { bytes[0] = 0 }
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        length = isAbstract ? socklen_t(MemoryLayout<sa_family_t>.size + bytes.count) : socklen_t(MemoryLayout<sockaddr_un>.size)
    }

    /// `body` with the address as a `sockaddr` and its length.
    public func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> T) rethrows -> T {
        var copy = address
        return try withUnsafePointer(to: &copy) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// `connect(fd, self)`: 0, or -1 with errno set.
    public func connect(_ fd: Int32) -> Int32 {
        withSockaddr { Foundation.connect(fd, $0, $1) }
    }
}
