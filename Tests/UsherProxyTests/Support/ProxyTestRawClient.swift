import NIOCore
import NIOPosix
import Synchronization

/// What a raw exchange got back.
struct RawReply: Sendable {
    var text: String
    /// The proxy closed the connection (as opposed to the test giving up waiting).
    var closedByPeer: Bool
    /// When the proxy closed it, from connect.
    var closedAfter: TimeAmount?

    /// The status code of the first response, if any.
    var status: Int? {
        guard text.hasPrefix("HTTP/1.") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    /// Status codes of all responses in the bytes, in order.
    var statuses: [Int] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().compactMap { Int($0.prefix(3)) }
    }
}

/// Sends exact bytes (malformed requests, dribbled heads) and collects what comes back.
enum RawClient {
    /// Writes `chunks` with `pause` between them, then reads until the proxy closes or `wait`
    /// passes after the last write.
    static func exchange(_ chunks: [String], pause: TimeAmount = .zero, to address: SocketAddress,
                         group: EventLoopGroup, wait: TimeAmount = .seconds(3)) async throws -> RawReply {
        let start = NIODeadline.now()
        let collector = RawCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(to: address).get()
        for (i, chunk) in chunks.enumerated() {
            if i > 0, pause > .zero { try await Task.sleep(nanoseconds: UInt64(pause.nanoseconds)) }
            if !channel.isActive { break }
            try? await channel.writeAndFlush(ByteBuffer(string: chunk))
        }
        let deadline = NIODeadline.now() + wait
        while channel.isActive, NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        let closed = !channel.isActive
        if !closed { try? await channel.close() }
        // isActive turns false before channelInactive reaches the collector: wait for it.
        try? await channel.closeFuture.get()
        for _ in 0..<50 where closed && collector.state.withLock({ $0.closedAt == nil }) {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let (bytes, closedAt) = collector.state.withLock { ($0.bytes, $0.closedAt) }
        return RawReply(text: String(decoding: bytes, as: UTF8.self), closedByPeer: closed,
                        closedAfter: closed ? closedAt.map { $0 - start } : nil)
    }
}

final class RawCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    struct State { var bytes: [UInt8] = []; var closedAt: NIODeadline? }
    let state = Mutex(State())

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let b = unwrapInboundIn(data)
        state.withLock { $0.bytes += b.readableBytesView }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.withLock { $0.closedAt = .now() }
    }
}
