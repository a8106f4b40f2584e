import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on 127.0.0.1 that writes `reply` to every connection (then closes it, or keeps
/// it open when `close` is false) and keeps the bytes each connection sent, in order.
final class RawTCPServer: Sendable {
    let channel: Channel
    private let received = Mutex<[[UInt8]]>([])

    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    /// The bytes of each connection so far.
    var connections: [[UInt8]] { received.withLock { $0 } }

    init(group: EventLoopGroup, reply: [UInt8] = [], close: Bool = false) async throws {
        let box = ReceivedBox()
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Connection(reply: reply, close: close, box: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        box.server = self
    }

    fileprivate func append(_ bytes: [UInt8], to index: Int) {
        received.withLock { all in
            while all.count <= index { all.append([]) }
            all[index] += bytes
        }
    }

    fileprivate func open() -> Int {
        received.withLock { all in
            all.append([])
            return all.count - 1
        }
    }

    func close() async {
        try? await channel.close()
    }

    private final class ReceivedBox: @unchecked Sendable {
        weak var server: RawTCPServer?
    }

    private final class Connection: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: [UInt8]
        let close: Bool
        let box: ReceivedBox
        var index = 0

        init(reply: [UInt8], close: Bool, box: ReceivedBox) {
            self.reply = reply
            self.close = close
            self.box = box
        }

        func channelActive(context: ChannelHandlerContext) {
            index = box.server?.open() ?? 0
            guard !reply.isEmpty || close else { return }
            let done = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)))
            let channel = context.channel
            if close { done.whenComplete { _ in channel.close(promise: nil) } }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            box.server?.append(buffer.readBytes(length: buffer.readableBytes) ?? [], to: index)
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}
