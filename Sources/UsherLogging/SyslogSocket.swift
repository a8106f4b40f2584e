import Foundation
import Glibc
import UsherCore

/// One destination's socket, used by its sending thread only: connects when needed, sends a
/// message as one datagram (local, UDP: RFC 5426) or framed by its length (TCP: RFC 6587 §3.4.1,
/// `LEN SP MSG`), and says what failed. Every call is bounded by `timeout` (SO_SNDTIMEO, which
/// also bounds connect on Linux), so a stuck peer costs the thread, never the daemon.
final class SyslogSocket {
    let target: SyslogTarget
    let timeout: Double
    private var fd: Int32 = -1

    init(target: SyslogTarget, timeout: Double = 2) {
        self.target = target
        self.timeout = timeout
    }

    deinit { close() }

    var isConnected: Bool { fd >= 0 }

    func send(_ message: [UInt8]) throws(SyslogSocketError) {
        if fd < 0 { try connect() }
        if target.isStream {
            try writeAll(Array("\(message.count) ".utf8) + message)
        } else {
            let datagram = RFC5424Formatter.truncated(message, to: SyslogTarget.maxMessageBytes)
            let sent = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == datagram.count else { throw fail("send") }
        }
    }

    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    private func writeAll(_ bytes: [UInt8]) throws(SyslogSocketError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { all in
                let rest = UnsafeRawBufferPointer(rebasing: all[offset...])
                return Glibc.send(fd, rest.baseAddress, rest.count, Int32(MSG_NOSIGNAL))
            }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw fail("send") }
            offset += n
        }
    }

    private func connect() throws(SyslogSocketError) {
        switch target {
        case let .local(path):
            let s = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard s >= 0 else { throw SyslogSocketError(target: target, step: "socket", code: errno) }
            fd = s
            setTimeout()
            guard let address = UnixSocketAddress(path) else {
                close()
                throw SyslogSocketError(target: target, step: "connect", code: ENAMETOOLONG)
            }
            let result = address.connect(fd)
            guard result == 0 else { throw fail("connect") }
        case let .remote(endpoint):
            var hints = addrinfo()
            hints.ai_socktype = endpoint.transport == .udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_ADDRCONFIG
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
            guard status == 0, let first = list else {
                throw SyslogSocketError(target: target, step: "look up \(endpoint.host)",
                                        reason: String(cString: gai_strerror(status)))
            }
            defer { freeaddrinfo(list) }
            var lastError: SyslogSocketError?
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let info = entry {
                entry = info.pointee.ai_next
                let s = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
                guard s >= 0 else { continue }
                fd = s
                setTimeout()
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return }
                lastError = fail("connect")
            }
            throw lastError ?? SyslogSocketError(target: target, step: "connect", reason: "no address of \(endpoint.host) to use")
        }
    }

    private func setTimeout() {
        var value = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The error of the failed `step`, the socket closed (the next send connects again).
    private func fail(_ step: String) -> SyslogSocketError {
        let code = errno
        close()
        return SyslogSocketError(target: target, step: step, code: code)
    }
}
