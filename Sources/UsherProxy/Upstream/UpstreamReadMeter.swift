import NIOCore

/// Counts the bytes a connection to a real server has received, below the HTTP parser: an
/// exchange that fails can then tell whether any byte of its response arrived (if none did,
/// an idempotent request may be sent again on a fresh connection).
final class UpstreamReadMeter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private(set) var bytesRead = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        bytesRead &+= unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
    }
}
