import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import UsherCore
import UsherTestSupport
@testable import UsherProxy

/// Counts what a client that reads only when told has received.
final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received = Atomic<Int>(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received.add(unwrapInboundIn(data).readableBytes, ordering: .relaxed)
    }

    /// Waits until at least `bytes` have arrived, for 10 s at most; returns what had arrived.
    func waitFor(_ bytes: Int) async throws -> Int {
        for _ in 0..<200 where received.load(ordering: .relaxed) < bytes {
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return received.load(ordering: .relaxed)
    }
}

/// Uploads `total` bytes as fast as the socket takes them, counting what it took.
final class UploadPump: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let total: Int
    let sent = Atomic<Int>(0)
    let reply = Mutex<String>("")

    init(total: Int) { self.total = total }

    func channelActive(context: ChannelHandlerContext) {
        let head = "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: \(total)\r\nx-test-stall-ms: 1500\r\n\r\n"
        context.write(wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
        pump(context)
        context.fireChannelActive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        pump(context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        reply.withLock { $0 += text }
    }

    private func pump(_ context: ChannelHandlerContext) {
        while sent.load(ordering: .relaxed) < total, context.channel.isWritable {
            let n = min(65536, total - sent.load(ordering: .relaxed))
            var chunk = context.channel.allocator.buffer(capacity: n)
            chunk.writeRepeatingByte(UInt8(ascii: "u"), count: n)
            sent.add(n, ordering: .relaxed)
            context.write(wrapOutboundOut(chunk), promise: nil)
        }
        context.flush()
    }
}

/// Back-pressure, reloads and stopping, end to end.
@Suite(.timeLimit(.minutes(2))) struct ProxyLifecycleTests {
    @Test func aClientThatDoesNotReadHoldsTheRealServerBack() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!], responseTimeout: 30)])]
        } _: { h in
            let counter = ByteCounter()
            let channel = try await ClientBootstrap(group: h.group)
                .channelOption(.autoRead, value: false)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(counter) } }
                .connect(to: h.address).get()
            try await channel.writeAndFlush(ByteBuffer(string: "GET /big HTTP/1.1\r\nHost: a\r\nx-test-stream-bytes: \(1 << 30)\r\n\r\n"))
            try await Task.sleep(nanoseconds: 1_500_000_000)
            let stalled = h.real("a").state.streamed.load(ordering: .relaxed)
            // Only socket buffers (loopback autotunes them to a few MiB each) and the channels' write
            // watermarks fill up: tens of MiB at most, of 1 GiB.
            #expect(stalled < 40 << 20, "the real server wrote \(stalled >> 20) MiB to a client reading nothing")
            try await channel.setOption(.autoRead, value: true)
            channel.read()
            #expect(try await counter.waitFor(64 << 20) >= 64 << 20, "once the client reads, the body flows")
            try? await channel.close()
        }
    }

    @Test func aRealServerThatDoesNotReadHoldsTheClientBack() async throws {
        let total = 256 << 20
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!], responseTimeout: 30)],
                               limits: HTTPLimits(maxBodyBytes: 1 << 30))]
        } _: { h in
            let pump = UploadPump(total: total)
            let channel = try await ClientBootstrap(group: h.group)
                .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(pump) } }
                .connect(to: h.address).get()
            // The real server reads nothing for 1.5 s; without back-pressure all 256 MiB would be
            // taken well before 0.7 s (the margin keeps a slow scheduler from checking too late).
            try await Task.sleep(nanoseconds: 700_000_000)
            let stalled = pump.sent.load(ordering: .relaxed)
            #expect(stalled < 40 << 20, "the proxy took \(stalled >> 20) MiB a real server was not reading")
            var waited = 0
            while !pump.reply.withLock({ $0.contains("body-bytes=") }), waited < 300 {
                try await Task.sleep(nanoseconds: 50_000_000)
                waited += 1
            }
            #expect(pump.reply.withLock { $0.contains("body-bytes=\(total)\n") }, "the whole body arrives once the server reads")
            try? await channel.close()
        }
    }

    @Test func reloadGivesNewConnectionsTheNewSettingsAndRefusesBadOnes() async throws {
        try await withProxy(reals: ["a", "b"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let before = try await h.client()
            #expect(try await before.send(TestRequest()).real == "a")
            let listener = h.proxy.listeningAddresses["web"]
            var web = TestServices.http(pools: [TestServices.pool("p", [h.real("b")])])
            web.port = UInt16(h.address.port!)
            let api = TestServices.http("api", pools: [TestServices.pool("p", [h.real("a")])])
            try await h.proxy.reload(services: [web, api])
            #expect(h.proxy.listeningAddresses["web"] == listener, "same address and port: the listener stays")
            #expect(try await before.send(TestRequest()).real == "a", "an open connection keeps its settings")
            #expect(try await h.client().send(TestRequest()).real == "b")
            let apiAddress = try #require(h.proxy.listeningAddresses["api"])
            #expect(try await TestHTTPClient.connect(to: apiAddress, group: h.group).send(TestRequest()).real == "a")

            var broken = web
            broken.l7?.rules = [ContentRule(match: RuleMatch(path: .regex("(")), action: .pool("p"))]
            await #expect(throws: ProxyConfigurationError.self) { try await h.proxy.reload(services: [broken]) }
            #expect(try await h.client().send(TestRequest()).real == "b", "a refused reload changes nothing")
            #expect(h.proxy.listeningAddresses.keys.sorted() == ["api", "web"])
        }
    }

    @Test func stopLetsARequestInProgressFinish() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let c = try await h.client()
            async let slow = c.send(TestRequest(.GET, "/", headers: [("x-test-delay-ms", "500")]))
            try await Task.sleep(nanoseconds: 150_000_000)
            try await h.proxy.stop()
            #expect(try await slow.status == 200)
            #expect(h.proxy.listeningAddresses.isEmpty)
        }
    }

    @Test func certificateReloadServesTheReplacedFiles() async throws {
        let first = try CertificatesFixture(caName: "First CA")
        let second = try CertificatesFixture(caName: "Second CA")
        defer { first.remove(); second.remove() }
        let served = try first.issue("www", dnsNames: ["www.example"])
        let replacement = try second.issue("www", dnsNames: ["www.example"])
        try await withProxy(reals: ["a"]) { r in
            var s = TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])
            s.mode = .https
            s.l7?.tls = TLSSettings(certificates: [served], alpn: [.http1_1])
            return [s]
        } _: { h in
            let port = h.address.port!
            func get(trusting ca: String) throws -> String {
                try Curl.run(["--cacert", ca, "--resolve", "www.example:\(port):127.0.0.1", "-w", "%{http_code}",
                              "-o", "/dev/null", "https://www.example:\(port)/"])
            }
            #expect(try get(trusting: first.caPath) == "200")
            #expect(throws: Curl.Failure.self) { try get(trusting: second.caPath) }
            try first.copy(replacement, over: served)
            try h.proxy.reloadCertificates()
            #expect(try get(trusting: second.caPath) == "200")
        }
    }
}
