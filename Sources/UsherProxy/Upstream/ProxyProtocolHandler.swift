import NIOCore

/// Writes the PROXY protocol header as the very first bytes of a new connection to a real
/// server (before any TLS handshake or request). First in the pipeline; it sends the header
/// when the connection becomes active or, if something is written before the pipeline hears
/// of it (NIO completes the connect future first), just before that write.
final class ProxyProtocolHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = ByteBuffer

    private var header: ByteBuffer?

    init(header: ByteBuffer) {
        self.header = header
    }

    func channelActive(context: ChannelHandlerContext) {
        if sendHeader(context) { context.flush() }
        context.fireChannelActive()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        sendHeader(context)
        context.write(data, promise: promise)
    }

    @discardableResult
    private func sendHeader(_ context: ChannelHandlerContext) -> Bool {
        guard let header else { return false }
        self.header = nil
        context.write(wrapOutboundOut(header), promise: nil)
        return true
    }
}
