import NIOCore

/// Writes the PROXY protocol header as the very first bytes of a new connection to a real
/// server (before any TLS handshake), then leaves the pipeline.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundOut = ByteBuffer

    private let header: ByteBuffer

    init(header: ByteBuffer) {
        self.header = header
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(header), promise: nil)
        // Handlers after this one (TLS, HTTP) see the channel active only now, so their first
        // bytes follow the header.
        context.fireChannelActive()
        context.flush()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
