import NIOCore
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

/// Pooled keep-alive connections to real servers: their idle timeout, and real servers that
/// close one just as the proxy uses it.
@Suite(.timeLimit(.minutes(1))) struct UpstreamKeepAliveTests {
    private func service(_ r: [String: TestRealServer]) -> [VirtualService] {
        [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
    }

    @Test func anIdlePooledConnectionIsClosedAfterItsTimeout() async throws {
        let tuning = ProxyTuning(upstreamIdleTimeout: .milliseconds(400))
        try await withProxy(reals: ["a"], threads: 1, tuning: tuning, services: service) { h in
            let client = try await h.client()
            #expect(try await client.send(TestRequest(.GET, "/1")).status == 200)
            #expect(try await client.send(TestRequest(.GET, "/2")).status == 200)
            #expect(h.real("a").acceptedConnections == 1, "used again while fresh")
            try await Task.sleep(nanoseconds: 1_000_000_000)
            #expect(h.real("a").closedConnections == 1, "closed by the proxy after 400 ms unused")
            #expect(try await client.send(TestRequest(.GET, "/3")).status == 200)
            #expect(h.real("a").acceptedConnections == 2, "the next request opens a new one")
            await client.close()
        }
    }

    @Test func aConnectionTheRealClosedAsItWasReusedIsRetriedForIdempotentRequests() async throws {
        try await withProxy(reals: ["a"], threads: 1, services: service) { h in
            let client = try await h.client()
            for method in [HTTPMethod.GET, .HEAD, .DELETE] {
                // The real answers, keeps the connection, then closes it when the next request comes.
                let first = try await client.send(TestRequest(.GET, "/arm", headers: [("x-test-drop-next", "silent")]))
                #expect(first.status == 200)
                let second = try await client.send(TestRequest(method, "/victim"))
                #expect(second.status == 200, "\(method): sent again on a fresh connection, not a 502")
            }
            #expect(h.real("a").acceptedConnections == 4, "one first connection, then one fresh per dropped request")
            #expect(h.real("a").received.filter { $0.uri == "/victim" }.count == 6, "each victim reached the real twice")
            #expect(client.isActive)
            await client.close()
        }
    }

    @Test func aNonIdempotentRequestIsNotSentTwice() async throws {
        try await withProxy(reals: ["a"], threads: 1, services: service) { h in
            let client = try await h.client()
            _ = try await client.send(TestRequest(.GET, "/arm", headers: [("x-test-drop-next", "silent")]))
            let post = try await client.send(TestRequest(.POST, "/order", body: "x=1"))
            #expect(post.status == 502, "a POST may have taken effect: the client must decide")
            #expect(h.real("a").received.filter { $0.uri == "/order" }.count == 1)
            await client.close()
        }
    }

    @Test func aResponseThatHadStartedIsNotRetried() async throws {
        try await withProxy(reals: ["a"], threads: 1, services: service) { h in
            let client = try await h.client()
            _ = try await client.send(TestRequest(.GET, "/arm", headers: [("x-test-drop-next", "partial")]))
            let r = try await client.send(TestRequest(.GET, "/half"))
            #expect(r.status == 502, "bytes of a response came: not sent again")
            #expect(h.real("a").received.filter { $0.uri == "/half" }.count == 1)
            await client.close()
        }
    }
}
