import NIOCore
import NIOHTTP1

/// The last handler of a connection to a real server: hands response parts to the exchange
/// using the connection, and reads from the real server only while the client can take the
/// bytes (the way swift-nio-examples' GlueHandler splices two channels).
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    /// The exchange using the connection; nil while it is idle in a pool.
    weak var delegate: UpstreamExchangeDelegate?
    /// Told once when the connection closes (to drop it from its pool).
    var onClose: (() -> Void)?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let delegate else {
            // An idle connection has nothing to say: whatever it is, the connection is unusable.
            context.close(promise: nil)
            return
        }
        delegate.upstreamReceived(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let d = delegate
        delegate = nil
        d?.upstreamFailed(UpstreamError.closedBeforeResponseEnd)
        onClose?()
        onClose = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let d = delegate
        delegate = nil
        d?.upstreamFailed(error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let delegate, !delegate.clientIsWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }

    /// The client drained: read again if a read was held back.
    func resumeReading() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }
}
