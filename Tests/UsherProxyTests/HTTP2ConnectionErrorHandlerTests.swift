import NIOCore
import NIOEmbedded
import Testing
@testable import UsherProxy

/// Stands for a TLS handler closing cleanly: a close asked of it waits for the peer (here,
/// for ever) instead of going on to the socket.
final class WaitingClose: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    private(set) var closesHeld = 0

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closesHeld += 1
    }
}

/// The handler on its own: what NIO's HTTP/2 handler writes goes through it as bytes.
@Suite struct HTTP2ConnectionErrorHandlerTests {
    let channel = EmbeddedChannel()
    let waiting = WaitingClose()

    init() throws {
        try channel.pipeline.syncOperations.addHandler(waiting)
        let transport = try channel.pipeline.syncOperations.context(handler: waiting)
        try channel.pipeline.syncOperations.addHandler(HTTP2ConnectionErrorHandler(transport: transport))
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 443)).wait()
    }

    func write(_ bytes: [UInt8]) throws {
        try channel.writeOutbound(channel.allocator.buffer(bytes: bytes))
    }

    @Test func aGoAwayWithAnErrorClosesBelowTLSAndNothingMoreIsRead() throws {
        try write(HTTP2HostileClientTests.frame(type: 0x04))
        try channel.writeInbound(channel.allocator.buffer(bytes: [1, 2, 3]))
        #expect(try channel.readInbound(as: ByteBuffer.self) != nil, "read while all is well")
        try write(HTTP2OutboundFrameScannerTests.goAway(0x6))
        #expect(!channel.isActive, "closed once the GOAWAY was written, without waiting for TLS's close")
        #expect(waiting.closesHeld == 0)
    }

    @Test func readsStopAtTheGoAway() throws {
        let handler = try channel.pipeline.syncOperations.handler(type: HTTP2ConnectionErrorHandler.self)
        try write(HTTP2OutboundFrameScannerTests.goAway(0x1))
        #expect(handler.closing)
        // What arrived meanwhile (in a read already under way) is dropped, not passed on.
        channel.pipeline.fireChannelRead(channel.allocator.buffer(bytes: [0, 0, 0]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
    }

    @Test func theIdleGoAwayLeavesTheConnectionOpen() throws {
        try write(HTTP2HostileClientTests.frame(type: 0x04) + HTTP2OutboundFrameScannerTests.goAway(0))
        #expect(channel.isActive)
        try channel.writeInbound(channel.allocator.buffer(bytes: [1]))
        #expect(try channel.readInbound(as: ByteBuffer.self) != nil)
    }
}
