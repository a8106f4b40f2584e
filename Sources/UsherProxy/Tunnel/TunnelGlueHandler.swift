import NIOCore

/// One end of an upgraded connection (WebSocket) spliced as raw bytes: what one channel reads
/// the partner channel writes, and a channel is read only while its partner can take more
/// (swift-nio-examples' connect-proxy `GlueHandler`). Either side closing closes both.
final class TunnelGlueHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Side { case client, real }

    let side: Side
    private(set) var partner: TunnelGlueHandler?
    private let tunnel: Tunnel
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    private init(side: Side, tunnel: Tunnel) {
        self.side = side
        self.tunnel = tunnel
    }

    /// The two ends of `tunnel`, each knowing the other.
    static func matchedPair(_ tunnel: Tunnel) -> (client: TunnelGlueHandler, real: TunnelGlueHandler) {
        let client = TunnelGlueHandler(side: .client, tunnel: tunnel)
        let real = TunnelGlueHandler(side: .real, tunnel: tunnel)
        client.partner = real
        real.partner = client
        return (client, real)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    // MARK: called by the partner

    private func partnerWrite(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    private func partnerFlush() {
        context?.flush()
    }

    private func partnerClose() {
        context?.close(promise: nil)
    }

    private func partnerBecameWritable() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    private var partnerWritable: Bool { context?.channel.isWritable ?? false }

    // MARK: channel events

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        tunnel.transferred(buffer.readableBytes, from: side)
        partner?.partnerWrite(buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.partnerFlush()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tunnel.closed()
        partner?.partnerClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        partner?.partnerClose()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            // The proxy is stopping: a tunnel has no request boundary to wait for.
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.partnerWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }

    /// Writes what the partner channel has not flushed yet (bytes handed over outside a read
    /// cycle, such as what the HTTP parsers held when they were removed).
    func flushPartner() {
        partner?.partnerFlush()
    }
}
