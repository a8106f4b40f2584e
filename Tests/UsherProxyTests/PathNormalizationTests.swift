import NIOCore
import Testing
import UsherCore
@testable import UsherProxy

/// Paths are normalised before the rules see them: one spelling per path.
@Suite struct PathNormalizerTests {
    private func normal(_ path: String) -> String? {
        try? PathNormalizer.normalize(Substring(path)).get().description
    }

    private func refusal(_ path: String) -> String? {
        if case .failure(let r) = PathNormalizer.normalize(Substring(path)) { return "\(r.status.code) \(r.reason)" }
        return nil
    }

    @Test func ordinaryPathsAreLeftAlone() {
        for p in ["/", "/a/b", "/a/b/", "/.well-known/x", "/a.b/c..d/...", "*"] { #expect(normal(p) == p) }
    }

    @Test func spellingsOfOnePathBecomeOne() {
        #expect(normal("/a/../b") == "/b")
        #expect(normal("//admin") == "/admin")
        #expect(normal("/a//b///c") == "/a/b/c")
        #expect(normal("/%61dmin") == "/admin")
        #expect(normal("/%41%2d%5F%7e") == "/A-_~")
        #expect(normal("/./admin/./x") == "/admin/x")
        #expect(normal("/x/%2e%2e/admin") == "/admin")
        #expect(normal("/x/.%2E/admin") == "/admin")
        #expect(normal("/a/b/..") == "/a/")
        #expect(normal("/a/.") == "/a/")
        #expect(normal("/a/b/../") == "/a/")
        #expect(normal("/a/..") == "/")
        // Reserved and non-ASCII escapes stay escaped, in one case.
        #expect(normal("/caf%c3%a9?") == "/caf%C3%A9?")
        #expect(normal("/a%3fb%20c") == "/a%3Fb%20c")
    }

    @Test func ambiguousPathsAreRefused() {
        #expect(refusal("/admin/..%2f") == "400 encoded / in the path")
        #expect(refusal("/a%2Fb") == "400 encoded / in the path")
        #expect(refusal("/a%00") == "400 encoded NUL in the path")
        #expect(refusal("/..") == "400 the path climbs above the root")
        #expect(refusal("/a/../../etc/passwd") == "400 the path climbs above the root")
        #expect(refusal("/%2e%2e/admin") == "400 the path climbs above the root")
        #expect(refusal("/a%zz") == "400 malformed percent-escape in the path")
        #expect(refusal("/a%4") == "400 malformed percent-escape in the path")
        #expect(refusal("admin") == "400 the path does not start with /")
    }

    @Test func theTargetCarriesTheNormalPathAndKeepsTheQuery() {
        let t = RequestTarget(uri: "//shop/./%63art/../cart?x=%2e%2e/%2f", hostHeader: "a")
        #expect(t.path == "/shop/cart" && t.query == "?x=%2e%2e/%2f" && t.originForm == "/shop/cart?x=%2e%2e/%2f")
        #expect(t.pathRejection == nil)
        #expect(RequestTarget(uri: "http://a/x/../../y", hostHeader: nil).pathRejection?.status == .badRequest)
    }
}

/// End to end: a rule on `/admin` holds whatever the spelling.
@Suite(.timeLimit(.minutes(1))) struct PathNormalizationEndToEndTests {
    private func services(_ r: [String: TestRealServer]) -> [VirtualService] {
        [TestServices.http(
            pools: [TestServices.pool("public", [r["public"]!]), TestServices.pool("admin", [r["admin"]!])],
            rules: [
                ContentRule(match: RuleMatch(path: .prefix("/admin/")), action: .pool("admin")),
                ContentRule(match: RuleMatch(path: .exact("/login")), action: .redirect(Redirect(scheme: "https"))),
            ],
            defaultPool: "public")]
    }

    @Test func rulesCannotBeBypassedBySpelling() async throws {
        try await withProxy(reals: ["public", "admin"], services: services) { h in
            let client = try await h.client()
            for spelling in ["/admin/users", "//admin/users", "/%61dmin/users", "/%61%64%6D%69%6E/users",
                             "/public/../admin/users", "/./admin/./users", "/admin//users", "/x/%2E%2E/admin/users"] {
                let r = try await client.send(TestRequest(.GET, spelling))
                #expect(r.real == "admin", "\(spelling) reached \(r.real ?? "-")")
                #expect(r.echoed("uri") == ["/admin/users"], "\(spelling): the real gets the normal path")
            }
            let login = try await client.send(TestRequest(.GET, "/public/..//login"))
            #expect(login.status == 301, "a redirect rule holds too")
            #expect(h.real("public").completedRequests == 0)
            await client.close()
        }
    }

    @Test func pathsThatCannotBeNormalisedAreRefusedAndNeverForwarded() async throws {
        try await withProxy(reals: ["public", "admin"], services: services) { h in
            for target in ["/admin/..%2f..%2fpublic", "/public/..%2fadmin/users", "/..", "/public/../../admin/users",
                           "/admin%00/users", "/%2e%2e/admin/users"] {
                let reply = try await h.raw(["GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n"])
                #expect(reply.status == 400, "\(target): \(reply.text)")
                #expect(reply.closedByPeer, "\(target): the connection is closed")
            }
            #expect(h.requestsAtReals == 0)
        }
    }
}
