import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import UsherProxy

/// Counts `read()` calls that reach the head of a pipeline (the socket, in a real channel).
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = NIOAny
    var reads = 0

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }
}

/// The tunnel's parts alone: the upgrade decision, the glue pair, the idle timer.
@Suite struct TunnelHandlerTests {
    private func head(_ fields: [(String, String)], method: HTTPMethod = .GET, version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/", headers: HTTPHeaders([("host", "a")] + fields))
    }

    @Test func onlyAWebSocketHandshakeIsTunnelled() {
        let ws = [("connection", "keep-alive, Upgrade"), ("upgrade", "websocket")]
        #expect(UpgradeRequest(head(ws), framing: .none) == .websocket)
        #expect(UpgradeRequest(head([("connection", "upgrade"), ("upgrade", "WebSocket")]), framing: .none) == .websocket)
        // What NIO's parser still takes as an upgrade (it stops after it), but is not tunnelled:
        #expect(UpgradeRequest(head([("connection", "Upgrade, HTTP2-Settings"), ("upgrade", "h2c")]), framing: .none) == .refused)
        #expect(UpgradeRequest(head(ws, method: .POST), framing: .none) == .refused)
        #expect(UpgradeRequest(head(ws), framing: .length(3)) == .refused)
        #expect(UpgradeRequest(head(ws, version: .http1_0), framing: .none) == .refused)
        // Not an upgrade at all for the parser:
        #expect(UpgradeRequest(head([("upgrade", "websocket")]), framing: .none) == .none)
        #expect(UpgradeRequest(head([("connection", "upgrade")]), framing: .none) == .none)
        #expect(UpgradeRequest(head([]), framing: .none) == .none)
    }

    private func pair(idle: TimeAmount = .seconds(10)) throws
        -> (EmbeddedEventLoop, EmbeddedChannel, EmbeddedChannel, ReadCounter, ReadCounter, Tunnel, Box) {
        let loop = EmbeddedEventLoop()
        let client = EmbeddedChannel(loop: loop)
        let real = EmbeddedChannel(loop: loop)
        let box = Box()
        let tunnel = Tunnel(loop: loop, idleTimeout: idle, onTransfer: { n, side in box.bytes[side == .client ? 0 : 1] += n },
                            onClose: { box.closes += 1 })
        let (c, r) = TunnelGlueHandler.matchedPair(tunnel)
        let clientReads = ReadCounter(), realReads = ReadCounter()
        try client.pipeline.syncOperations.addHandlers([clientReads, c])
        try real.pipeline.syncOperations.addHandlers([realReads, r])
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 1)
        try client.connect(to: address).wait()
        try real.connect(to: address).wait()
        tunnel.start([client, real])
        return (loop, client, real, clientReads, realReads, tunnel, box)
    }

    final class Box { var bytes = [0, 0]; var closes = 0 }

    @Test func bytesCrossAndAreCounted() throws {
        let (_, client, real, _, _, _, box) = try pair()
        try client.writeInbound(ByteBuffer(string: "from client"))
        client.pipeline.fireChannelReadComplete()
        #expect(try real.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "from client"))
        try real.writeInbound(ByteBuffer(string: "back"))
        real.pipeline.fireChannelReadComplete()
        #expect(try client.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "back"))
        #expect(box.bytes == [11, 4])
    }

    @Test func aSideIsReadOnlyWhileItsPartnerCanWrite() throws {
        let (_, client, real, clientReads, _, _, _) = try pair()
        let before = clientReads.reads
        real.isWritable = false
        client.read()
        #expect(clientReads.reads == before, "the client is not read while the real's side is full")
        real.isWritable = true
        real.pipeline.fireChannelWritabilityChanged()
        #expect(clientReads.reads == before + 1, "the held read goes out once the real's side drains")
        client.read()
        #expect(clientReads.reads == before + 2)
    }

    @Test func eitherSideClosingClosesBoth() throws {
        let (_, client, real, _, _, tunnel, box) = try pair()
        try real.close().wait()
        #expect(!client.isActive)
        #expect(tunnel.isClosed && box.closes == 1, "closed once, though both sides went inactive")
    }

    @Test func theIdleTimerCountsFromTheLastByteEitherWay() throws {
        let (loop, client, real, _, _, tunnel, _) = try pair(idle: .seconds(10))
        loop.advanceTime(by: .seconds(8))
        try real.writeInbound(ByteBuffer(string: "x"))
        loop.advanceTime(by: .seconds(8))
        #expect(client.isActive && !tunnel.isClosed, "16 s old, but 8 s since the last byte")
        loop.advanceTime(by: .seconds(3))
        #expect(!client.isActive && !real.isActive && tunnel.isClosed, "10 s without a byte: both closed")
    }
}
