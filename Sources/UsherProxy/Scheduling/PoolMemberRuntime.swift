import NIOCore
import Synchronization
import UsherCore

/// A pool member as the proxy uses it: where to connect, how to name it in logs and in the
/// affinity cookie, and how many exchanges it serves right now (for least connections).
final class PoolMemberRuntime: Sendable {
    let index: Int
    let member: PoolMember
    let socketAddress: SocketAddress
    /// `192.0.2.10:8080` or `[2001:db8::1]:8080`, for logs and errors.
    let label: String
    /// Opaque id written into the inserted affinity cookie: reveals nothing of the address.
    let cookieID: String
    /// Per-member input to rendezvous hashing.
    let hashSeed: UInt64
    /// Exchanges in progress on this member, over all event loops.
    let active = Atomic<Int>(0)

    init(index: Int, member: PoolMember, poolName: String) throws {
        self.index = index
        self.member = member
        let host = "\(member.address)"
        self.socketAddress = try SocketAddress(ipAddress: host, port: Int(member.port))
        self.label = member.address.isV4 ? "\(host):\(member.port)" : "[\(host)]:\(member.port)"
        var h = StableHash()
        h.combine(Substring(poolName))
        h.combine(bytes: member.address.bytes)
        h.combine(number: UInt64(member.port))
        self.hashSeed = h.finalized
        self.cookieID = String(hashSeed, radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
