import NIOCore
import NIOHTTP1

/// One request/response on a client connection, from its head to the end of its response.
/// A class: the proxy handler's steps share the one instance (a struct of this size was
/// copied and destroyed at every response part, a retain and release per field).
/// Loop-confined, like the handler that owns it.
final class Exchange {
    let head: HTTPRequestHead
    let target: RequestTarget
    let framing: BodyFraming
    let started: NIODeadline
    /// The client keeps the connection after this response.
    let clientKeepAlive: Bool
    /// A WebSocket handshake, another upgrade (forwarded as plain HTTP), or neither.
    let upgrade: UpgradeRequest

    var pool: PoolRuntime?
    /// The member serving the request; its `active` count holds one for this exchange.
    var member: PoolMemberRuntime?
    /// The last member the request was sent (or being sent) to, for its counters.
    var servedBy: PoolMemberRuntime?
    /// The head as sent to real servers (rewritten), kept for a retry.
    var forwardHead: HTTPRequestHead?
    /// The affinity cookie to set on the response (`NAME=id; Path=/; HttpOnly`).
    var cookieName: String?

    /// Request parts that arrived while the connection to the real server was opening.
    var pending: [HTTPClientRequestPart] = []

    var status: UInt = 0
    var bytesSent = 0
    var firstByte: NIODeadline?
    var lastActivity: NIODeadline
    /// The access log line is written (exactly once per exchange).
    var logged = false

    init(head: HTTPRequestHead, framing: BodyFraming, now: NIODeadline) {
        self.head = head
        self.target = RequestTarget(uri: head.uri, hostHeader: head.headers.first(name: "host"))
        self.framing = framing
        self.started = now
        self.lastActivity = now
        self.clientKeepAlive = head.version.major >= 2 || head.isKeepAlive
        self.upgrade = UpgradeRequest(head, framing: framing)
    }
}
