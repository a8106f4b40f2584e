import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
import UsherCore
@testable import UsherProxy

/// Schedulers and affinity over real connections: who answered, counted over ≥ 300 requests.
@Suite(.timeLimit(.minutes(2))) struct ProxySchedulingEndToEndTests {
    /// Sends `total` requests over `connections` concurrent keep-alive connections; counts
    /// answers by real server.
    static func spread(_ h: ProxyHarness, total: Int, connections: Int,
                       request: @escaping @Sendable (Int) -> TestRequest = { _ in TestRequest() }) async throws -> [String: Int] {
        try await withThrowingTaskGroup(of: [String].self) { group in
            for c in 0..<connections {
                group.addTask {
                    let client = try await h.client()
                    var reals: [String] = []
                    for i in stride(from: c, to: total, by: connections) {
                        let res = try await client.send(request(i))
                        guard res.status == 200, let r = res.real else { throw TestClientError(description: "status \(res.status)") }
                        reals.append(r)
                    }
                    await client.close()
                    return reals
                }
            }
            var counts: [String: Int] = [:]
            for try await reals in group { for r in reals { counts[r, default: 0] += 1 } }
            return counts
        }
    }

    @Test func roundRobinIsExactlyEven() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!], scheduler: .roundRobin)])]
        } _: { h in
            let counts = try await Self.spread(h, total: 300, connections: 6)
            #expect(counts == ["a": 100, "b": 100, "c": 100])
        }
    }

    @Test func weightedRoundRobinIsProportional() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!], weights: [3, 2, 1],
                                                         scheduler: .weightedRoundRobin)])]
        } _: { h in
            let counts = try await Self.spread(h, total: 600, connections: 6)
            #expect(counts == ["a": 300, "b": 200, "c": 100])
        }
    }

    @Test func drainedMemberGetsNothing() async throws {
        try await withProxy(reals: ["a", "b"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!], weights: [1, 0])])]
        } _: { h in
            let counts = try await Self.spread(h, total: 300, connections: 3)
            #expect(counts == ["a": 300])
        }
    }

    @Test func leastConnectionsPrefersTheIdleServer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let slow = try await TestRealServer.start("slow", group: group, delayMilliseconds: 200)
        var counts: [String: Int] = [:]
        var failure: Error?
        do { try await withProxy(reals: ["fast"]) { r in
            var p = TestServices.pool("p", [r["fast"]!], scheduler: .leastConnections)
            p.members.insert(TestServices.member(slow), at: 0)
            return [TestServices.http(pools: [p])]
        } _: { h in
            counts = try await Self.spread(h, total: 300, connections: 10)
        } } catch { failure = error }
        await slow.stop()
        try? await group.shutdownGracefully()
        if let failure { throw failure }
        // Round robin would give the slow server half; least connections sends it a request
        // only while it has fewer in progress than the fast one. How few depends on how fast
        // the fast one is, which a busy machine changes (0.16 was seen under load against 0.15): the
        // bound tells the two schedulers apart, not the machine's load.
        let slowShare = Double(counts["slow", default: 0]) / 300
        #expect(slowShare < 0.3, "slow server got \(counts["slow", default: 0]) of 300")
        #expect(counts["fast", default: 0] + counts["slow", default: 0] == 300)
    }

    @Test func sourceAddressAffinitySticks() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!], affinity: .sourceIP)])]
        } _: { h in
            // 30 connections (30 source ports) from one address: one real server for all.
            let counts = try await Self.spread(h, total: 300, connections: 30)
            #expect(counts.count == 1 && counts.values.first == 300)
        }
    }

    @Test func headerAffinitySticksPerValueAndSpreadsValues() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!], affinity: .header("X-User"))])]
        } _: { h in
            let byUser = try await Self.realsByKey(h, keys: 20, perKey: 16) { user in [("X-User", "user-\(user)")] }
            #expect(byUser.values.allSatisfy { $0.count == 1 }, "each user stays on one real server")
            #expect(Set(byUser.values.compactMap(\.first)).count >= 2, "users spread")
        }
    }

    @Test func applicationCookieAffinitySticksPerValue() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!],
                                                         affinity: .applicationCookie("JSESSIONID"))])]
        } _: { h in
            let bySession = try await Self.realsByKey(h, keys: 20, perKey: 16) { s in [("Cookie", "theme=dark; JSESSIONID=s\(s)")] }
            #expect(bySession.values.allSatisfy { $0.count == 1 })
            #expect(Set(bySession.values.compactMap(\.first)).count >= 2)
        }
    }

    @Test func insertedCookieIsSetOnceThenFollowed() async throws {
        try await withProxy(reals: ["a", "b", "c"]) { r in
            [TestServices.http(pools: [TestServices.pool("p", [r["a"]!, r["b"]!, r["c"]!], affinity: .insertedCookie("USHER"))])]
        } _: { h in
            let c = try await h.client()
            var cookies: [String: String] = [:] // real → cookie
            for _ in 0..<3 {
                let first = try await c.send(TestRequest())
                let set = first.headers["set-cookie"]
                #expect(set.count == 1)
                let value = set.first.map { String($0.split(separator: ";")[0]) } ?? ""
                #expect(value.hasPrefix("USHER=") && set.first!.hasSuffix("; Path=/; HttpOnly"))
                cookies[first.real!] = value
            }
            #expect(cookies.count == 3, "new clients spread round robin, each told its server")
            for (real, cookie) in cookies {
                for _ in 0..<100 {
                    let res = try await c.send(TestRequest(.GET, "/", headers: [("Cookie", cookie)]))
                    #expect(res.real == real)
                    #expect(res.headers["set-cookie"].isEmpty, "a valid cookie is not set again")
                }
            }
        }
    }

    /// For each of `keys` keys, `perKey` requests over fresh connections; the set of real
    /// servers that answered each key.
    static func realsByKey(_ h: ProxyHarness, keys: Int, perKey: Int,
                           headers: @escaping @Sendable (Int) -> [(String, String)]) async throws -> [Int: Set<String>] {
        try await withThrowingTaskGroup(of: (Int, Set<String>).self) { group in
            for k in 0..<keys {
                group.addTask {
                    var seen = Set<String>()
                    for i in 0..<perKey {
                        let c = try await h.client(0)
                        let res = try await c.send(TestRequest(.GET, "/\(i)", headers: headers(k)))
                        if let r = res.real { seen.insert(r) }
                        await c.close()
                    }
                    return (k, seen)
                }
            }
            var out: [Int: Set<String>] = [:]
            for try await (k, s) in group { out[k] = s }
            return out
        }
    }
}
