import NIOCore
import NIOPosix
import Synchronization

/// A UDP server on 127.0.0.1 that answers each datagram with what `reply` makes of it (nil:
/// stays silent), and counts what it received.
final class DatagramResponder: Sendable {
    let channel: Channel
    private let received: Counter

    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }
    var count: Int { received.value.load(ordering: .relaxed) }

    private final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    init(group: EventLoopGroup, reply: @escaping @Sendable ([UInt8]) -> [UInt8]?) async throws {
        let received = Counter()
        self.received = received
        let handler = Handler(reply: reply, received: received)
        channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// A DNS server answering every query with `rcode` (the query echoed as a response).
    static func dns(group: EventLoopGroup, rcode: UInt8) async throws -> DatagramResponder {
        try await DatagramResponder(group: group) { query in
            guard query.count >= 12 else { return nil }
            var reply = query
            reply[2] = 0x81  // QR, RD
            reply[3] = 0x80 | rcode  // RA, rcode
            return reply
        }
    }

    func close() async {
        try? await channel.close()
    }

    private final class Handler: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>

        let reply: @Sendable ([UInt8]) -> [UInt8]?
        let received: Counter

        init(reply: @escaping @Sendable ([UInt8]) -> [UInt8]?, received: Counter) {
            self.reply = reply
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            var buffer = envelope.data
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            received.value.add(1, ordering: .relaxed)
            guard let answer = reply(bytes) else { return }
            let out = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: answer))
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}
