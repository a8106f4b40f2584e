import CNetlink
import Foundation

/// An rtnetlink socket (NETLINK_ROUTE) of the calling thread's network namespace: every call
/// into netlink goes through this type, which owns the fd, closes it on deinit, and turns
/// every failure into a `BPFError` that says what was asked and why it failed.
///
/// Our own socket rather than libmnl: the control plane asks three questions (a route, a
/// neighbour, a link) and listens to four groups. libmnl would give the same structs and
/// attribute walk, but its receive blocks (we poll with a deadline before every read anyway),
/// its callbacks are C function pointers with a `void *` context that Swift can only reach
/// unsafely, and it would be one more library on every host. The parsing here is ~100 lines
/// that check every length (`NetlinkMessage`), tested on their own.
///
/// The socket is non-blocking and every read is preceded by `poll` with a deadline: nothing
/// here can wait for ever on the kernel.
final class NetlinkSocket {
    let fd: Int32
    /// The port id the kernel gave this socket; replies to our requests carry it.
    let portID: UInt32
    private var sequence: UInt32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Opens the socket, joined to the multicast `groups` (RTNLGRP_*) if any; with groups,
    /// the receive buffer is raised to `receiveBuffer` bytes so a burst of events fits.
    init(groups: [UInt32] = [], receiveBuffer: Int32 = 0) throws {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), NETLINK_ROUTE)
        guard fd >= 0 else { throw BPFError.call("socket(AF_NETLINK)", on: "rtnetlink", errno: errno) }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            let code = errno
            close(fd)
            throw BPFError.call("bind", on: "rtnetlink socket", errno: code)
        }
        self.fd = fd
        portID = address.nl_pid
        sequence = UInt32(truncatingIfNeeded: DispatchTime.now().uptimeNanoseconds >> 10)
        // Kernel error messages (extended ACK) with the error, our request echoed without its payload.
        setOption(NETLINK_EXT_ACK, 1)
        setOption(NETLINK_CAP_ACK, 1)
        for group in groups {
            guard setOption(NETLINK_ADD_MEMBERSHIP, Int32(group)) else {
                throw BPFError.call("setsockopt(NETLINK_ADD_MEMBERSHIP)", on: "rtnetlink group \(group)", errno: errno)
            }
        }
        if receiveBuffer > 0 {
            var size = receiveBuffer
            // SO_RCVBUFFORCE passes rmem_max as root; SO_RCVBUF is the fallback (capped there).
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    deinit { close(fd) }

    @discardableResult
    private func setOption(_ option: Int32, _ value: Int32) -> Bool {
        var value = value
        return setsockopt(fd, SOL_NETLINK, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// Sends `message` and returns the kernel's answer to it: the one message of a get, or
    /// every message of a dump up to NLMSG_DONE. A kernel error is thrown with its errno and
    /// the kernel's own text if it gave one; no answer within `timeout` is an error too.
    /// `what` names the request in errors (e.g. "RTM_GETROUTE"), `subject` what it was about.
    func request(_ message: NetlinkMessage, what: String, subject: String, timeout: Duration = .seconds(2)) throws -> [NetlinkMessage] {
        sequence &+= 1
        var message = message
        message.sequence = sequence
        message.portID = 0
        let bytes = message.encoded
        let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == bytes.count else { throw BPFError.call("netlink \(what)", on: subject, errno: sent < 0 ? errno : EIO) }

        let deadline = ContinuousClock.now + timeout
        var answer: [NetlinkMessage] = []
        while true {
            guard let received = try receive(until: deadline, what: what, subject: subject) else {
                throw BPFError(call: "netlink \(what)", subject: subject,
                               message: "the kernel did not answer within \(timeout); try again, and report it if it persists")
            }
            for reply in received where reply.sequence == sequence && reply.portID == portID {
                switch Int32(reply.type) {
                case NLMSG_ERROR:
                    try Self.check(reply, what: what, subject: subject)
                    return answer
                case NLMSG_DONE:
                    return answer
                case NLMSG_NOOP:
                    continue
                default:
                    answer.append(reply)
                    if reply.flags & UInt16(NLM_F_MULTI) == 0 { return answer }
                }
            }
        }
    }

    /// The messages of the next datagram, waiting for one until `deadline`; nil if none came.
    /// ENOBUFS (the kernel dropped events: the receive buffer overflowed) is thrown with its errno.
    func receive(until deadline: ContinuousClock.Instant, what: String, subject: String) throws -> [NetlinkMessage]? {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BPFError.call("poll", on: "rtnetlink socket (\(what) \(subject))", errno: errno)
            }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw BPFError.call("recv", on: "rtnetlink socket (\(what) \(subject))", errno: errno,
                                    hint: errno == ENOBUFS ? "the kernel dropped netlink messages (receive buffer full)" : nil)
            }
            guard count <= buffer.count else {
                throw BPFError(call: "recv", subject: "rtnetlink socket (\(what) \(subject))",
                               message: "a \(count)-byte message does not fit the \(buffer.count)-byte buffer")
            }
            guard let messages = NetlinkMessage.split(buffer[0 ..< count]) else {
                throw BPFError(call: "recv", subject: "rtnetlink socket (\(what) \(subject))",
                               message: "the kernel sent a malformed message (a length beyond the \(count) bytes received)")
            }
            return messages
        }
    }

    /// Throws the error an NLMSG_ERROR message carries (nothing for an ACK, error 0).
    static func check(_ reply: NetlinkMessage, what: String, subject: String) throws {
        guard let error = reply.header(as: nlmsgerr.self) else {
            throw BPFError(call: "netlink \(what)", subject: subject, message: "the kernel sent a truncated error message")
        }
        guard error.error != 0 else { return }
        var text = ""
        if reply.flags & UInt16(NLM_F_ACK_TLVS) != 0,
           let message = NetlinkMessage.attributes(in: reply.payload.dropFirst(MemoryLayout<nlmsgerr>.size))[UInt16(NLMSGERR_ATTR_MSG.rawValue)] {
            text = "the kernel said: " + String(decoding: message.prefix { $0 != 0 }, as: UTF8.self)
        }
        throw BPFError.call("netlink \(what)", on: subject, errno: -error.error, hint: text)
    }
}
