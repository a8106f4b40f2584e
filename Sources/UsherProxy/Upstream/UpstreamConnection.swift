import NIOCore
import NIOHTTP1

/// A keep-alive HTTP/1.1 connection to one real server, owned by one event loop.
final class UpstreamConnection {
    let channel: Channel
    let handler: UpstreamHandler
    let member: PoolMemberRuntime
    /// Exchanges this connection has carried (0 while the first one runs).
    var completedExchanges = 0

    init(channel: Channel, handler: UpstreamHandler, member: PoolMemberRuntime) {
        self.channel = channel
        self.handler = handler
        self.member = member
    }

    var isReused: Bool { completedExchanges > 0 }

    func write(_ part: HTTPClientRequestPart) {
        channel.write(NIOAny(part), promise: nil)
    }

    func flush() {
        channel.flush()
    }

    func close() {
        handler.delegate = nil
        channel.close(promise: nil)
    }
}
