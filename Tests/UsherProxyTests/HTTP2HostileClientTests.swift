import NIOCore
import NIOHPACK
import NIOPosix
import Testing
import UsherCore
@testable import UsherProxy
import UsherTestSupport

/// HTTP/2 clients that break the protocol on purpose, over real TLS with ALPN h2: after a
/// connection error the server answers GOAWAY, stops reading and closes, however much the
/// client goes on sending.
@Suite(.timeLimit(.minutes(2))) struct HTTP2HostileClientTests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(type: 0x04)

    /// One HTTP/2 frame: 3-byte length, type, flags, 4-byte stream ID, payload.
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
        let n = payload.count
        return [UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    /// GET https://site.example/ as HPACK: :method GET, :scheme https, :path / (static table
    /// entries 2, 7, 4), then :authority as a literal with a name from the static table.
    static let requestBlock: [UInt8] = [0x82, 0x87, 0x84, 0x41, 12] + Array("site.example".utf8)

    /// What the client sends after the preface, and the GOAWAY error code it must get.
    struct ConnectionError: Sendable, CustomTestStringConvertible {
        let what: String
        let bytes: [UInt8]
        let code: UInt32
        var testDescription: String { what }

        init(_ what: String, _ bytes: [UInt8], _ code: UInt32) {
            self.what = what
            self.bytes = bytes
            self.code = code
        }
    }

    static let connectionErrors: [ConnectionError] = [
        .init("a frame header of nine 0xff bytes", [UInt8](repeating: 0xff, count: 9), 0x6),
        .init("a CONTINUATION flood",
              frame(type: 0x01, stream: 1, [0x82]) + (0..<50).flatMap { _ in frame(type: 0x09, stream: 1, [0x87]) }, 0xb),
        .init("a PING flood", (0..<400).flatMap { _ in frame(type: 0x06, [UInt8](repeating: 7, count: 8)) }, 0xb),
        .init("a SETTINGS flood", (0..<400).flatMap { _ in frame(type: 0x04) }, 0xb),
        .init("an empty DATA flood",
              frame(type: 0x01, flags: 0x04, stream: 1, requestBlock) + (0..<50).flatMap { _ in frame(type: 0x00, stream: 1) }, 0xb),
    ]

    /// The proxy's TLS front with ALPN h2 and a raw TLS client that negotiated h2 and sent the
    /// client preface with `c`'s bytes; `body` runs with the client right after, then all is
    /// torn down.
    static func afterSending<T>(_ c: ConnectionError, _ body: (CertificatesTLSClient) async throws -> T) async throws -> T {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let server = try await HTTP2ServerPipelineTests.server(pki, alpn: [.h2])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { Task { try? await group.shutdownGracefully() } }
        do {
            let client = try await CertificatesTLSClient.connect(
                port: server.port, group: group, configuration: TLSServerPipelineTests.clientConfiguration(pki, alpn: ["h2"]),
                serverName: "site.example", raw: true)
            #expect(client.negotiatedProtocol == "h2")
            try await client.send(Self.preface + c.bytes)
            let result = try await body(client)
            await client.close()
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    @Test(arguments: connectionErrors)
    func aConnectionErrorGetsGoAwayAndAClose(_ c: ConnectionError) async throws {
        let (received, elapsed) = try await Self.afterSending(c) { client in
            let started = ContinuousClock.now
            return (try await client.receivedUntilClosed(limit: .seconds(5)), ContinuousClock.now - started)
        }

        let bytes = try #require(received, "\(c.what): the connection was still open 5 s after the error")
        #expect(elapsed < .seconds(3), "\(c.what): closed after \(elapsed)")
        let goAways = HTTP2ServerPipelineTests.frames(bytes).filter { $0.type == 0x07 }
        let codes = goAways.map { $0.payload.dropFirst(4).prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        #expect(codes.first == c.code, "\(c.what): GOAWAY codes \(codes)")
    }

    /// The issue's reproduction: a bad frame header, then zeros without end. The client may
    /// push at most 64 MiB for 20 s; the server must close long before taking it all in.
    @Test(arguments: connectionErrors)
    func whatFollowsAConnectionErrorIsNotBuffered(_ c: ConnectionError) async throws {
        let (pushed, closed, elapsed) = try await Self.afterSending(c) { client in
            let started = ContinuousClock.now
            let pushed = await Self.pushZeros(client.channel, upTo: 64 << 20, chunk: 64 << 10, within: .seconds(20))
            return (pushed, !client.channel.isActive, ContinuousClock.now - started)
        }

        #expect(closed, "\(c.what): still open after \(pushed) bytes")
        #expect(elapsed < .seconds(5), "\(c.what): closed after \(elapsed)")
        // Socket buffers on both sides hold a few MiB at most; the rest was never read.
        #expect(pushed < 16 << 20, "\(c.what): the server took \(pushed) bytes after the error")
    }

    /// Writes zeros until the connection closes, `total` bytes went out or `limit` passed;
    /// returns the bytes the client's socket accepted.
    static func pushZeros(_ channel: Channel, upTo total: Int, chunk: Int, within limit: TimeAmount) async -> Int {
        let deadline = NIODeadline.now() + limit
        let zeros = channel.allocator.buffer(repeating: 0, count: chunk)
        var pushed = 0
        while pushed < total, channel.isActive, NIODeadline.now() < deadline {
            let sent = channel.eventLoop.makePromise(of: Bool.self)
            channel.writeAndFlush(zeros).whenComplete { sent.succeed((try? $0.get()) != nil) }
            let giveUp = channel.eventLoop.scheduleTask(deadline: deadline) { sent.succeed(false) }
            let ok = (try? await sent.futureResult.get()) ?? false
            giveUp.cancel()
            guard ok else { break }
            pushed += chunk
        }
        return pushed
    }

    /// RFC 9113 §8.3.1: without `:authority` the Host field names the target. It is routed
    /// on, and the real server gets it as Host (and in Forwarded); with both, `:authority` wins.
    @Test func aRequestWithHostButNoAuthorityIsRoutedOnHost() async throws {
        let pki = try CertificatesFixture()
        defer { pki.remove() }
        let cert = try pki.issue("www", dnsNames: ["www.example", "b.example"])
        try await withProxy(reals: ["a", "b"]) { r in
            var s = TestServices.http(pools: [TestServices.pool("pa", [r["a"]!]), TestServices.pool("pb", [r["b"]!])],
                                      rules: [ContentRule(match: RuleMatch(host: "b.example"), action: .pool("pb"))],
                                      defaultPool: "pa")
            s.mode = .https
            s.l7?.tls = TLSSettings(certificates: [cert], alpn: [.h2])
            return [s]
        } _: { h in
            let client = try await TestHTTP2Client.connect(port: h.address.port!, group: h.group, caPath: pki.caPath,
                                                           serverName: "www.example")
            let hostOnly = try await client.request([":method": "GET", ":scheme": "https", ":path": "/h", "host": "b.example"])
            #expect(hostOnly.reset == nil && hostOnly.status == 200, "\(hostOnly)")
            #expect(hostOnly.body.contains("server=b\n") && hostOnly.body.contains("uri=/h\n"))
            #expect(hostOnly.body.contains("h:host=b.example\n"))
            #expect(hostOnly.body.contains("h:forwarded=for=127.0.0.1;host=b.example;proto=https\n"))

            let both = try await client.request([":method": "GET", ":scheme": "https", ":path": "/both",
                                                 ":authority": "b.example", "host": "www.example"])
            #expect(both.status == 200 && both.body.contains("server=b\n") && both.body.contains("h:host=b.example\n"),
                    "\(both)")
            let plain = try await client.request([":method": "GET", ":scheme": "https", ":path": "/a", ":authority": "www.example"])
            #expect(plain.status == 200 && plain.body.contains("server=a\n") && plain.body.contains("h:host=www.example\n"))
            await client.close()
        }
    }
}
