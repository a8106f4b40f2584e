import NIOCore
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

/// Limits a hostile client cannot get around, over real sockets: every refused request gets
/// its status (or a close) and never reaches a real server.
@Suite(.timeLimit(.minutes(2))) struct ProxyLimitsEndToEndTests {
    static let limits = HTTPLimits(maxRequestLineBytes: 100, maxHeaderBytes: 300, maxHeaderCount: 8, maxBodyBytes: 20,
                                   headerTimeoutSeconds: 5, idleTimeoutSeconds: 10)

    static func service(_ r: [String: TestRealServer], limits: HTTPLimits = limits) -> [VirtualService] {
        [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])], limits: limits)]
    }

    @Test(arguments: RequestGuardHandlerTests.refusedHeads)
    func refusedHeadsNeverReachARealServer(_ c: (String, String, Int)) async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0) }) { h in
            let reply = try await h.raw([c.1])
            #expect(reply.status == c.2, "\(c.0): \(reply.text.prefix(80))")
            #expect(reply.closedByPeer, "\(c.0)")
            #expect(h.real("a").acceptedConnections == 0, "\(c.0): the proxy contacted a real server")
        }
    }

    @Test(arguments: [
        ("a chunked body over the limit", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", 413),
        ("a chunk size that is not hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        ("a chunk without its CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
    ])
    func refusedBodiesNeverCompleteAtARealServer(_ c: (String, String, Int)) async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0) }) { h in
            let reply = try await h.raw([c.1])
            #expect(reply.status == c.2, "\(c.0)")
            #expect(reply.closedByPeer)
            try await Task.sleep(nanoseconds: 200_000_000)
            #expect(h.real("a").completedRequests == 0, "\(c.0): a complete request reached the real server")
        }
    }

    @Test func aSmugglingAttemptAfterAGoodRequestStopsThere() async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0) }) { h in
            let reply = try await h.raw([
                "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                    + "GET /admin HTTP/1.1\r\nHost: a\r\n\r\n",
            ])
            #expect(reply.statuses == [200, 400])
            #expect(reply.closedByPeer)
            #expect(h.real("a").received.map(\.uri) == ["/ok"])
        }
    }

    @Test func slowlorisIsClosedAfterTheHeaderTimeout() async throws {
        var limits = Self.limits
        limits.headerTimeoutSeconds = 1
        try await withProxy(reals: ["a"], services: { Self.service($0, limits: limits) }) { h in
            // A header line every 250 ms, each well within any per-read timeout.
            let chunks = ["GET / HTTP/1.1\r\n"] + (0..<12).map { "X-\($0): v\r\n" }
            let reply = try await h.raw(chunks, pause: .milliseconds(250), wait: .seconds(2))
            #expect(reply.status == 408)
            #expect(reply.closedByPeer)
            // Not before the timeout; the upper bound only says "not waiting for the client".
            let after = reply.closedAfter ?? .seconds(99)
            #expect(after >= .milliseconds(900) && after < .milliseconds(3000), "closed after \(after)")
            #expect(h.real("a").acceptedConnections == 0)
        }
    }

    /// A body may keep the proxy waiting 1 s, earning a second per 100 bytes.
    static let bodyLimits = HTTPLimits(maxRequestLineBytes: 100, maxHeaderBytes: 300, maxHeaderCount: 8, maxBodyBytes: 1000,
                                       headerTimeoutSeconds: 5, idleTimeoutSeconds: 10, bodyTimeoutSeconds: 1, minBodyRate: 100)

    /// A POST trickling a byte every 200 ms (5 bytes/s against 100): 408 once the 1 s credit
    /// is spent, and the real server never sees a complete request.
    @Test func aSlowBodyGets408() async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0, limits: Self.bodyLimits) }) { h in
            let chunks = ["POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n"] + (0..<20).map { _ in "x" }
            let reply = try await h.raw(chunks, pause: .milliseconds(200), wait: .seconds(2))
            #expect(reply.status == 408, "\(reply.text.prefix(80))")
            #expect(reply.closedByPeer)
            let after = reply.closedAfter ?? .seconds(99)
            #expect(after >= .milliseconds(900) && after < .milliseconds(3500), "closed after \(after)")
            try await Task.sleep(nanoseconds: 200_000_000)
            #expect(h.real("a").completedRequests == 0)
        }
    }

    /// Above the rate a body may take longer than the timeout. (Five times the rate, so that
    /// a busy machine's late wake-ups do not spend the credit.)
    @Test func aBodyAtTheMinimumRateGoesThrough() async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0, limits: Self.bodyLimits) }) { h in
            let chunks = ["POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"]
                + (0..<20).map { _ in String(repeating: "x", count: 50) } // 500 bytes/s for 2 s
            let reply = try await h.raw(chunks, pause: .milliseconds(100), wait: .seconds(4))
            #expect(reply.status == 200, "\(reply.text.prefix(80))")
            #expect(reply.text.contains("body-bytes=1000\n"))
        }
    }

    /// HTTP/0.9 (no version): 400 at once, not 408 at the header timeout (5 s here).
    @Test(arguments: ["GET /\r\n", "GET /\r\nHost: a\r\n\r\n"])
    func aVersionlessRequestLineGets400AtOnce(_ request: String) async throws {
        try await withProxy(reals: ["a"], services: { Self.service($0) }) { h in
            let reply = try await h.raw([request], wait: .seconds(6))
            #expect(reply.status == 400, "\(reply.text.prefix(80))")
            #expect(reply.closedByPeer)
            #expect((reply.closedAfter ?? .seconds(99)) < .seconds(1))
            #expect(h.real("a").acceptedConnections == 0)
        }
    }

    @Test func idleKeptAliveConnectionIsClosed() async throws {
        var limits = Self.limits
        limits.idleTimeoutSeconds = 1
        try await withProxy(reals: ["a"], services: { Self.service($0, limits: limits) }) { h in
            let reply = try await h.raw(["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], wait: .seconds(5))
            #expect(reply.status == 200)
            #expect(reply.closedByPeer)
            let after = reply.closedAfter ?? .seconds(99)
            #expect(after >= .milliseconds(900) && after < .milliseconds(4000), "closed after \(after)")
        }
    }

    @Test func maxConnectionsClosesNewOnesAtOnce() async throws {
        var limits = Self.limits
        limits.maxConnections = 3
        try await withProxy(reals: ["a"], services: { Self.service($0, limits: limits) }) { h in
            var clients: [TestHTTPClient] = []
            for _ in 0..<3 {
                let c = try await h.client()
                #expect(try await c.send(TestRequest()).status == 200)
                clients.append(c)
            }
            let refused = try await h.raw(["GET / HTTP/1.1\r\nHost: a\r\n\r\n"], wait: .seconds(2))
            #expect(refused.closedByPeer && refused.text.isEmpty)
            #expect((refused.closedAfter ?? .seconds(99)) < .milliseconds(500))
            #expect(h.proxy.counters(service: "web")?.refusedConnections.load(ordering: .relaxed) == 1)
            await clients[0].close()
            // The slot frees when the proxy sees the close: a new connection gets in.
            var admitted = false
            for _ in 0..<50 where !admitted {
                try await Task.sleep(nanoseconds: 20_000_000)
                admitted = try await h.raw(["GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"]).status == 200
            }
            #expect(admitted)
            for c in clients { await c.close() }
        }
    }
}
