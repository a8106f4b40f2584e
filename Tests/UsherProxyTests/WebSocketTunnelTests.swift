import NIOCore
import NIOPosix
import Testing
import UsherCore
@testable import UsherProxy

/// A proxy in front of one `TestWebSocketReal`, torn down whatever `body` does.
func withWebSocketProxy(
    refuse: Bool = false, floodBytes: Int = 0, tuning: ProxyTuning = ProxyTuning(),
    _ body: (TestWebSocketReal, ProxyServer, SocketAddress, MultiThreadedEventLoopGroup) async throws -> Void
) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    let real = try await TestWebSocketReal.start(group: group, refuse: refuse, floodBytes: floodBytes)
    let pool = Pool(name: "ws", members: [PoolMember(address: .v4(127, 0, 0, 1), port: real.port)])
    let proxy = ProxyServer(services: [TestServices.http(pools: [pool])], group: group, logger: testLogger, tuning: tuning)
    do {
        let address = try await proxy.start()[0]
        try await body(real, proxy, address, group)
    } catch {
        try? await proxy.stop()
        await real.stop()
        try? await group.shutdownGracefully()
        throw error
    }
    try? await proxy.stop()
    await real.stop()
    try? await group.shutdownGracefully()
}

let webSocketHandshake = "GET /chat HTTP/1.1\r\nHost: chat.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"

func masked(_ text: String) -> ByteBuffer {
    WebSocketFrame.encode(opcode: 0x1, payload: Array(text.utf8), masked: true)
}

func texts(_ frames: [WebSocketFrame]) -> [String] {
    frames.filter { $0.opcode == 0x1 }.map { String(decoding: $0.payload, as: UTF8.self) }
}

/// WebSocket (HTTP/1.1 Upgrade) through the proxy over real sockets.
@Suite(.timeLimit(.minutes(2))) struct WebSocketTunnelTests {
    @Test func aHandshakeTheRealAcceptsBecomesATunnelBothWays() async throws {
        try await withWebSocketProxy { real, _, address, group in
            let client = try await TestTunnelClient.connect(to: address, group: group)
            try await client.send(webSocketHandshake)
            // The real's first frame arrives in the same segment as its 101: it must survive the splice.
            try await client.waitUntil { _ in texts(client.framesAfterHead) == ["hello"] }
            let head = client.text.lowercased()
            #expect(head.hasPrefix("http/1.1 101 switching protocols\r\n"), "\(client.text)")
            #expect(head.contains("\r\nupgrade: websocket\r\n") && head.contains("\r\nconnection: upgrade\r\n"))
            #expect(head.contains("sec-websocket-accept: dgvzda=="), "end-to-end fields of the 101 pass")
            #expect(real.state.header("upgrade", ofRequest: 0) == "websocket")
            #expect(real.state.header("connection", ofRequest: 0)?.lowercased() == "upgrade")
            #expect(real.state.header("sec-websocket-key", ofRequest: 0) == "dGhlIHNhbXBsZSBub25jZQ==")
            #expect(real.state.header("x-forwarded-for", ofRequest: 0) == "127.0.0.1")

            for word in ["one", "two", "three"] { try await client.send(masked(word)) }
            try await client.waitUntil { _ in texts(client.framesAfterHead).count == 4 }
            #expect(texts(client.framesAfterHead) == ["hello", "echo:one", "echo:two", "echo:three"])

            // A close frame: the real closes, and the proxy closes the client.
            try await client.send(WebSocketFrame.encode(opcode: 0x8, payload: [], masked: true))
            #expect(try await client.waitForClose(seconds: 3), "the real's close reaches the client")
            #expect(client.framesAfterHead.last?.opcode == 0x8)

            // The tunnel's connection to the real is gone, never pooled: a new request opens another.
            let plain = try await RawClient.exchange(["GET /after HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"],
                                                     to: address, group: group)
            #expect(plain.status == 200 && plain.text.hasSuffix("plain"), "\(plain.text)")
            #expect(real.state.accepted.load(ordering: .relaxed) == 2)
        }
    }

    @Test func theClientClosingClosesTheRealSide() async throws {
        try await withWebSocketProxy { real, _, address, group in
            let client = try await TestTunnelClient.connect(to: address, group: group)
            try await client.send(webSocketHandshake)
            try await client.waitUntil { _ in texts(client.framesAfterHead) == ["hello"] }
            await client.close()
            var waited = 0
            while real.state.closed.load(ordering: .relaxed) == 0, waited < 300 {
                try await Task.sleep(nanoseconds: 10_000_000)
                waited += 1
            }
            #expect(real.state.closed.load(ordering: .relaxed) == 1, "the real's side of the tunnel is closed too")
        }
    }

    @Test func anUpgradeTheRealRefusesContinuesAsPlainHTTP() async throws {
        try await withWebSocketProxy(refuse: true) { real, _, address, group in
            let client = try await TestTunnelClient.connect(to: address, group: group)
            try await client.send(webSocketHandshake)
            try await client.waitUntil { $0.count > 0 && String(decoding: $0, as: UTF8.self).hasSuffix("refused") }
            #expect(client.text.hasPrefix("HTTP/1.1 403"), "\(client.text)")
            // The same connection goes on as HTTP/1.1 (NIO's parser stops after an upgrade request).
            try await client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n")
            try await client.waitUntil { String(decoding: $0, as: UTF8.self).hasSuffix("plain") }
            #expect(client.text.components(separatedBy: "HTTP/1.1 ").count == 3, "two responses: \(client.text)")
            #expect(client.text.contains("HTTP/1.1 200"))
            #expect(client.channel.isActive)
            // The real's connection stayed HTTP too and carried both requests.
            #expect(real.state.accepted.load(ordering: .relaxed) == 1)
            #expect(real.state.heads.withLock { $0.map(\.line) } == ["GET /chat HTTP/1.1", "GET /next HTTP/1.1"])
            await client.close()
        }
    }

    @Test func h2cIsNotUpgraded() async throws {
        try await withWebSocketProxy { real, _, address, group in
            let client = try await TestTunnelClient.connect(to: address, group: group)
            try await client.send("GET /h HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                                  + "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n")
            try await client.waitUntil { String(decoding: $0, as: UTF8.self).hasSuffix("plain") }
            #expect(client.text.hasPrefix("HTTP/1.1 200"), "\(client.text)")
            #expect(real.state.header("upgrade", ofRequest: 0) == nil, "Upgrade: h2c is not passed on")
            #expect(real.state.header("http2-settings", ofRequest: 0) == nil, "nor the fields Connection names")
            try await client.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n")
            try await client.waitUntil { String(decoding: $0, as: UTF8.self).components(separatedBy: "HTTP/1.1 200").count == 3 }
            #expect(client.text.components(separatedBy: "HTTP/1.1 200").count == 3, "\(client.text)")
            await client.close()
        }
    }

    @Test func anIdleTunnelIsClosedAndABusyOneIsNot() async throws {
        try await withWebSocketProxy(tuning: ProxyTuning(tunnelIdleTimeout: .milliseconds(600))) { real, _, address, group in
            let busy = try await TestTunnelClient.connect(to: address, group: group)
            let idle = try await TestTunnelClient.connect(to: address, group: group)
            for c in [busy, idle] {
                try await c.send(webSocketHandshake)
                try await c.waitUntil { _ in texts(c.framesAfterHead) == ["hello"] }
            }
            // 1.5 s: the busy one talks every 200 ms, the idle one is silent.
            for i in 0..<7 {
                try await busy.send(masked("ping\(i)"))
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            #expect(!idle.channel.isActive, "a tunnel silent for longer than its idle timeout is closed")
            #expect(busy.channel.isActive, "a tunnel in use stays open past the idle timeout")
            #expect(texts(busy.framesAfterHead).count >= 7)
            #expect(real.state.closed.load(ordering: .relaxed) == 1, "the idle tunnel's real side closed too")
            await busy.close()
        }
    }

    @Test func aClientThatDoesNotReadHoldsTheRealBack() async throws {
        try await withWebSocketProxy(floodBytes: 1 << 30) { real, _, address, group in
            let counter = ByteCounter()
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.autoRead, value: false)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(counter) } }
                .connect(to: address).get()
            try await channel.writeAndFlush(ByteBuffer(string: webSocketHandshake))
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let stalled = real.state.flooded.load(ordering: .relaxed)
            #expect(stalled < 40 << 20, "the real wrote \(stalled >> 20) MiB into a tunnel whose client reads nothing")
            try await channel.setOption(.autoRead, value: true)
            channel.read()
            #expect(try await counter.waitFor(64 << 20) >= 64 << 20, "once the client reads, the tunnel flows")
            try? await channel.close()
        }
    }
}
