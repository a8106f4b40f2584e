import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UsherCore
@testable import UsherProxy

/// What the proxy answers itself, and how it copes with real servers that fail.
@Suite(.timeLimit(.minutes(2))) struct ProxyAnswersTests {
    @Test func rulesRouteAndRedirectAndNoRouteIs404() async throws {
        try await withProxy(reals: ["web", "api"]) { r in
            [TestServices.http(
                pools: [TestServices.pool("web", [r["web"]!]), TestServices.pool("api", [r["api"]!])],
                rules: [
                    ContentRule(match: RuleMatch(path: .prefix("/old/")), action: .redirect(Redirect(scheme: "https", status: 308))),
                    ContentRule(match: RuleMatch(host: "api.example"), action: .pool("api")),
                    ContentRule(match: RuleMatch(path: .regex("^/v[0-9]+/")), action: .pool("api")),
                    ContentRule(match: RuleMatch(host: "*.example"), action: .pool("web")),
                ],
                noDefaultPool: true)]
        } _: { h in
            let c = try await h.client()
            #expect(try await c.send(TestRequest(.GET, "/x"), host: "API.example:80").real == "api")
            #expect(try await c.send(TestRequest(.GET, "/v2/users"), host: "www.example").real == "api")
            #expect(try await c.send(TestRequest(.GET, "/v2"), host: "www.example").real == "web")
            let redirect = try await c.send(TestRequest(.GET, "/old/page?a=1"), host: "www.example")
            #expect(redirect.status == 308 && redirect.headers["location"] == ["https://www.example/old/page?a=1"])
            let none = try await c.send(TestRequest(.GET, "/"), host: "other.org")
            #expect(none.status == 404 && none.body.contains("no content rule matches"))
            #expect(try await c.send(TestRequest(.GET, "/after-404"), host: "www.example").status == 200, "kept alive")
            #expect(h.requestsAtReals == 4)
        }
    }

    @Test func noEligibleMemberIs503WithAClearBody() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!], weights: [0])])]
        } _: { h in
            let res = try await h.client().send(TestRequest())
            #expect(res.status == 503)
            #expect(res.body == "503 Service Unavailable: service 'web' has no healthy server (pool 'p')\n")
            #expect(h.requestsAtReals == 0)
        }
    }

    @Test func healthChecksTakeADeadMemberOut() async throws {
        let dead = try RefusingPort()
        defer { dead.close() }
        try await withProxy(reals: ["alive"]) { r in
            var p = TestServices.pool("p", [r["alive"]!])
            p.members.insert(dead.member, at: 0)
            p.healthCheck = HealthCheck(kind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.5, rise: 1, fall: 1)
            var lonely = TestServices.pool("lonely", [])
            lonely.members = [dead.member]
            lonely.healthCheck = p.healthCheck
            return [TestServices.http(pools: [p, lonely], rules: [
                ContentRule(match: RuleMatch(path: .prefix("/lonely")), action: .pool("lonely")),
            ], defaultPool: "p")]
        } _: { h in
            try await Task.sleep(nanoseconds: 800_000_000) // several check intervals
            let c = try await h.client()
            let res = try await c.send(TestRequest(.GET, "/lonely"))
            #expect(res.status == 503, "all members down: 503, not 502")
            for _ in 0..<20 {
                #expect(try await c.send(TestRequest()).real == "alive")
            }
        }
    }

    @Test func connectFailureTriesAnotherMemberThen502() async throws {
        let dead = try RefusingPort(), dead2 = try RefusingPort()
        defer { dead.close(); dead2.close() }
        try await withProxy(reals: ["alive"]) { r in
            var mixed = TestServices.pool("mixed", [r["alive"]!])
            mixed.members.insert(dead.member, at: 0)
            var allDead = TestServices.pool("dead", [])
            allDead.members = [dead.member, dead2.member]
            return [TestServices.http(pools: [mixed, allDead], rules: [
                ContentRule(match: RuleMatch(path: .prefix("/dead")), action: .pool("dead")),
            ], defaultPool: "mixed")]
        } _: { h in
            let c = try await h.client()
            for _ in 0..<20 {
                let res = try await c.send(TestRequest())
                #expect(res.status == 200 && res.real == "alive")
            }
            let bad = try await c.send(TestRequest(.GET, "/dead"))
            #expect(bad.status == 502)
            #expect(bad.body.contains("could not be reached"))
        }
    }

    @Test func silentRealServerIs504() async throws {
        try await withProxy(reals: ["slow"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["slow"]!], responseTimeout: 0.3)])]
        } _: { h in
            let c = try await h.client()
            let start = NIODeadline.now()
            let res = try await c.send(TestRequest(.GET, "/", headers: [("x-test-delay-ms", "2000")]))
            #expect(res.status == 504)
            #expect(NIODeadline.now() - start < .milliseconds(1500))
            #expect(try await c.send(TestRequest()).status == 200, "the client connection carries on")
        }
    }

    @Test func realServerClosingAfterAResponseIsNotAnError() async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!])])]
        } _: { h in
            let c = try await h.client()
            for _ in 0..<5 {
                #expect(try await c.send(TestRequest(.GET, "/", headers: [("x-test-close", "1")])).status == 200)
                #expect(try await c.send(TestRequest()).status == 200)
            }
            // Each close costs one new connection, no more: 5 closes, 6 connections.
            #expect(h.real("a").acceptedConnections == 6)
        }
    }

    @Test(arguments: [ProxyProtocolVersion.v1, .v2])
    func proxyProtocolHeaderOpensEachRealConnection(_ version: ProxyProtocolVersion) async throws {
        try await withProxy(reals: ["a"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!], proxyProtocol: version)])]
        } _: { h in
            let c1 = try await h.client()
            let c2 = try await h.client()
            for c in [c1, c2, c1, c2] { #expect(try await c.send(TestRequest()).status == 200) }
            let clientPorts = [c1, c2].map { UInt16($0.channel.localAddress!.port!) }
            let proxyPort = UInt16(h.address.port!)
            #expect(h.real("a").acceptedConnections == 2, "one per client connection, each reused by its client only")
            let headers = h.real("a").received.compactMap(\.proxyHeader)
            #expect(headers.count == 4)
            for (i, header) in headers.enumerated() {
                let clientPort = clientPorts[i % 2]
                switch version {
                case .v1:
                    #expect(String(decoding: header, as: UTF8.self) == "PROXY TCP4 127.0.0.1 127.0.0.1 \(clientPort) \(proxyPort)\r\n")
                case .v2:
                    #expect(header == ProxyProtocolHeader.v2Signature + [0x21, 0x11, 0x00, 0x0C, 127, 0, 0, 1, 127, 0, 0, 1,
                        UInt8(clientPort >> 8), UInt8(clientPort & 0xff), UInt8(proxyPort >> 8), UInt8(proxyPort & 0xff)])
                }
            }
        }
    }
}
