import Foundation
import NIOCore
import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

/// End to end on 127.0.0.1: client → proxy → test real servers, over real sockets.
@Suite(.timeLimit(.minutes(2))) struct ProxyForwardingTests {
    @Test func forwardsWithForwardingHeadersHopByHopRemovedAndRewrites() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(
                pools: [TestServices.pool("p", [r["a"]!])],
                requestHeaders: HeaderRewrite(fieldsToSet: [HeaderField(name: "X-Env", value: "prod")], namesToRemove: ["X-Debug"]),
                responseHeaders: HeaderRewrite(fieldsToSet: [HeaderField(name: "X-Frame-Options", value: "DENY")],
                                               namesToRemove: ["X-Powered-By"]))]
        } _: { h in
            let c = try await h.client()
            let res = try await c.send(TestRequest(.GET, "/hello?x=1", headers: [
                ("X-Forwarded-For", "198.51.100.9"), ("Connection", "keep-alive, X-Private"), ("X-Private", "secret"),
                ("Keep-Alive", "timeout=1"), ("X-Debug", "1"), ("X-Env", "dev"),
            ]))
            #expect(res.status == 200 && res.real == "a")
            #expect(res.echoed("uri") == ["/hello?x=1"])
            #expect(res.receivedHeader("x-forwarded-for") == ["198.51.100.9, 127.0.0.1"])
            #expect(res.receivedHeader("x-forwarded-proto") == ["http"])
            #expect(res.receivedHeader("forwarded") == ["for=127.0.0.1;host=www.example;proto=http"])
            #expect(res.receivedHeader("x-private").isEmpty && res.receivedHeader("keep-alive").isEmpty)
            #expect(res.receivedHeader("x-debug").isEmpty && res.receivedHeader("x-env") == ["prod"])
            #expect(res.receivedHeader("host") == ["www.example"])
            // The real server's hop-by-hop fields stop at the proxy; the response rewrites apply.
            #expect(res.headers["x-hop"].isEmpty && res.headers["keep-alive"].isEmpty)
            #expect(res.headers["x-powered-by"].isEmpty && res.headers["x-frame-options"] == ["DENY"])
            await c.close()
        }
    }

    /// A client naming Host and Content-Length in Connection: the proxy routed on Host, so the
    /// real server still gets it (and Forwarded its host=), and the body keeps its framing.
    @Test func connectionNamingHostOrContentLengthDoesNotStripThem() async throws {
        try await withProxy(reals: ["a", "b"]) { r in
            [TestServices.http(pools: [TestServices.pool("pa", [r["a"]!]), TestServices.pool("pb", [r["b"]!])],
                               rules: [ContentRule(match: RuleMatch(host: "b.example"), action: .pool("pb"))],
                               defaultPool: "pa")]
        } _: { h in
            let reply = try await h.raw([
                "POST /c HTTP/1.1\r\nHost: b.example\r\nConnection: Host, Content-Length, X-Gone\r\n"
                    + "Content-Length: 5\r\nX-Gone: 1\r\n\r\nhello"
                    + "GET /next HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n",
            ])
            #expect(reply.statuses == [200, 200])
            let first = reply.text.components(separatedBy: "HTTP/1.1 ").dropFirst().first ?? ""
            #expect(first.contains("server=b\n"), "routed on Host")
            #expect(first.contains("h:host=b.example\n"))
            #expect(first.contains("h:forwarded=for=127.0.0.1;host=b.example;proto=http\n"))
            #expect(first.contains("body-bytes=5\n") && first.contains("h:content-length=5\n"))
            #expect(!first.contains("h:x-gone="))
            #expect(h.real("b").received.map(\.uri) == ["/c", "/next"], "the body was not read as a request")
        }
    }

    @Test func forwardedHeadersOffLeavesThemAlone() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])], forwardedHeaders: false)]
        } _: { h in
            let c = try await h.client()
            let res = try await c.send(TestRequest(.GET, "/", headers: [("X-Forwarded-For", "198.51.100.9")]))
            #expect(res.receivedHeader("x-forwarded-for") == ["198.51.100.9"])
            #expect(res.receivedHeader("forwarded").isEmpty && res.receivedHeader("x-forwarded-proto").isEmpty)
        }
    }

    /// 100 clients on one real and one event loop send a request each at once, three times, all
    /// answered before the next wave: after each wave all 100 connections to the real are idle,
    /// and the next wave needs all 100 again. None may be closed in between, so the real accepts
    /// 100 connections in all (with an idle bound of 32, 68 were closed after every wave and
    /// opened again for the next: 236).
    @Test func waveOfClientsKeepsItsConnectionsToTheReal() async throws {
        try await withProxy(reals: ["a"], threads: 1) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let clients = 100, waves = 3
            var connected: [TestHTTPClient] = []
            for _ in 0..<clients { connected.append(try await h.client()) }
            for wave in 0..<waves {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for (i, c) in connected.enumerated() {
                        group.addTask { try await c.send(TestRequest(.GET, "/\(wave)/\(i)")).status }
                    }
                    for try await status in group { #expect(status == 200) }
                }
            }
            #expect(h.real("a").completedRequests == clients * waves)
            #expect(h.real("a").acceptedConnections == clients,
                    "\(h.real("a").acceptedConnections) connections for \(clients) clients: pooled connections were closed and opened again")
        }
    }

    @Test func keepAliveConnectionsToRealsAreReused() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let c = try await h.client()
            for i in 0..<50 {
                let res = try await c.send(TestRequest(.GET, "/\(i)"))
                #expect(res.status == 200)
            }
            #expect(h.real("a").completedRequests == 50)
            #expect(h.real("a").acceptedConnections == 1, "one pooled connection carried all 50 requests")
            await c.close()
        }
    }

    @Test func pipelinedRequestsAnsweredInOrder() async throws {
        try await withProxy(reals: ["a", "b"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!])])]
        } _: { h in
            let c = try await h.client()
            // The first is the slowest: answers must still come back in request order.
            let delays = [300, 0, 150, 0, 50, 0]
            let requests = delays.enumerated().map { i, d in TestRequest(.GET, "/r\(i)", headers: [("x-test-delay-ms", "\(d)")]) }
            let responses = try await c.sendPipelined(requests)
            #expect(responses.map { $0.echoed("uri").first } == (0..<6).map { "/r\($0)" })
            #expect(responses.allSatisfy { $0.status == 200 })
        }
    }

    @Test func bodiesStreamBothWays() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])], limits: HTTPLimits(maxBodyBytes: 8 << 20))]
        } _: { h in
            let c = try await h.client()
            let up = try await c.send(TestRequest(.POST, "/upload", body: String(repeating: "u", count: 3 << 20)))
            #expect(up.echoed("body-bytes") == ["\(3 << 20)"])
            let down = try await c.send(TestRequest(.GET, "/download", headers: [("x-test-response-bytes", "\(16 << 20)")]))
            #expect(down.status == 200 && down.bodyBytes == 16 << 20)
            let head = try await c.send(TestRequest(.HEAD, "/"))
            #expect(head.status == 200 && head.bodyBytes == 0)
            #expect(try await c.send(TestRequest(.GET, "/after-head")).status == 200, "the connection survives HEAD")
        }
    }

    @Test func expectContinueIsAnsweredByTheProxy() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let reply = try await h.raw([
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", "hello",
            ], pause: .milliseconds(300))
            #expect(reply.statuses == [100, 200])
            #expect(reply.text.contains("body-bytes=5"))
            #expect(!reply.text.contains("h:expect="))
        }
    }

    @Test func http10ClientGetsAnHTTP10ResponseThenClose() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let reply = try await h.raw(["GET /old HTTP/1.0\r\n\r\n"])
            #expect(reply.text.hasPrefix("HTTP/1.0 200"))
            #expect(reply.text.contains("server=a"))
            #expect(reply.closedByPeer)
        }
    }

    @Test func absoluteFormTargetIsSentInOriginForm() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let reply = try await h.raw(["GET http://shop.example:8080/a?b HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n"])
            #expect(reply.status == 200)
            #expect(reply.text.contains("uri=/a?b\n") && reply.text.contains("h:host=shop.example:8080\n"))
        }
    }

    @Test func accessLogLinePerRequest() async throws {
        let path = "/tmp/usher-proxy-access-\(UInt32.random(in: 0...UInt32.max)).log"
        defer { unlink(path) }
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])], accessLog: .file(path))]
        } _: { h in
            let c = try await h.client()
            _ = try await c.send(TestRequest(.GET, "/logged?q=1"))
            _ = try await c.send(TestRequest(.POST, "/p", body: "12345"))
            await c.close()
            _ = try await h.raw(["GET / HTTP/1.1\r\n\r\n"]) // refused (no Host): logged too
            try await h.proxy.stop()
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 3)
            let first = lines.first { $0.contains("/logged") }.map(String.init) ?? ""
            let port = h.real("a").port
            #expect(first.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1:\d+ web "GET /logged\?q=1" 200 \d+ 127\.0\.0\.1:\#(port) ttfb_ms=\d+\.\d{3} total_ms=\d+\.\d{3}$"#,
                                 options: .regularExpression) != nil, "\(first)")
            #expect(lines.contains { $0.contains("\"GET /\" 400 0 - ttfb_ms=- ") })
        }
    }
}
