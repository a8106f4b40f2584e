import NIOCore
import NIOHTTP1

/// A keep-alive HTTP/1.1 connection to one real server, owned by one event loop.
final class UpstreamConnection {
    let channel: Channel
    let handler: UpstreamHandler
    let meter: UpstreamReadMeter
    let member: PoolMemberRuntime
    /// Exchanges this connection has carried (0 while the first one runs).
    var completedExchanges = 0
    /// When it was last given back to its pool.
    var idleSince: NIODeadline = .distantPast
    /// `meter.bytesRead` when the current exchange started.
    var bytesReadBeforeExchange = 0

    init(channel: Channel, handler: UpstreamHandler, meter: UpstreamReadMeter, member: PoolMemberRuntime) {
        self.channel = channel
        self.handler = handler
        self.meter = meter
        self.member = member
    }

    var isReused: Bool { completedExchanges > 0 }

    /// No byte of the current exchange's response has arrived.
    var nothingReceivedThisExchange: Bool { meter.bytesRead == bytesReadBeforeExchange }

    func write(_ part: HTTPClientRequestPart) {
        channel.write(part, promise: nil)
    }

    func flush() {
        channel.flush()
    }

    func close() {
        handler.delegate = nil
        channel.close(promise: nil)
    }
}
