import NIOHTTP1
import Testing
import UsherCore
@testable import UsherProxy

@Suite struct RequestTargetTests {
    @Test func originFormWithHostAndPort() {
        let t = RequestTarget(uri: "/a/b?x=1", hostHeader: "Shop.Example.:8080")
        #expect(t.host == "shop.example" && t.port == "8080" && t.path == "/a/b" && t.query == "?x=1")
    }

    @Test func absoluteFormWinsOverHost() {
        let t = RequestTarget(uri: "http://api.example/v1?q", hostHeader: "other.example")
        #expect(t.host == "api.example" && t.path == "/v1" && t.query == "?q" && t.originForm == "/v1?q")
        #expect(RequestTarget(uri: "http://api.example", hostHeader: nil).originForm == "/")
    }

    @Test func ipv6HostKeepsBrackets() {
        let t = RequestTarget(uri: "/", hostHeader: "[2001:db8::1]:8443")
        #expect(t.host == "[2001:db8::1]" && t.port == "8443")
    }
}

@Suite struct RouterTests {
    func router(_ rules: [ContentRule], defaultPool: String? = "default") throws -> Router {
        let settings = L7Settings(pools: [Pool(name: "default"), Pool(name: "api"), Pool(name: "img")],
                                  rules: rules, defaultPool: defaultPool)
        var pools: [String: PoolRuntime] = [:]
        for p in settings.pools { pools[p.name] = try poolRuntime(p) }
        return try Router(settings: settings, pools: pools, service: "web")
    }

    func decide(_ r: Router, _ uri: String, host: String = "www.example", headers: [(String, String)] = []) -> String {
        let h = HTTPHeaders(headers)
        switch r.route(RequestTarget(uri: uri, hostHeader: host), headers: h) {
        case .pool(let p): return p.name
        case .redirect(let red): return "redirect \(red.status)"
        case .noRoute: return "404"
        }
    }

    @Test func firstMatchingRuleWinsThenDefault() throws {
        let r = try router([
            ContentRule(match: RuleMatch(host: "API.example"), action: .pool("api")),
            ContentRule(match: RuleMatch(path: .prefix("/img/")), action: .pool("img")),
            ContentRule(match: RuleMatch(path: .prefix("/")), action: .pool("api")),
        ])
        #expect(decide(r, "/img/a.png", host: "api.example:443") == "api")
        #expect(decide(r, "/img/a.png") == "img")
        #expect(decide(r, "/x") == "api")
    }

    @Test func wildcardHostMatchesSubdomainsOnly() throws {
        let r = try router([ContentRule(match: RuleMatch(host: "*.example.com"), action: .pool("api"))])
        #expect(decide(r, "/", host: "a.b.EXAMPLE.com") == "api")
        #expect(decide(r, "/", host: "example.com") == "default")
        #expect(decide(r, "/", host: "badexample.com") == "default")
    }

    @Test func exactAndRegexPathsIgnoreTheQuery() throws {
        let r = try router([
            ContentRule(match: RuleMatch(path: .exact("/login")), action: .pool("api")),
            ContentRule(match: RuleMatch(path: .regex("^/img/[0-9]+\\.png$")), action: .pool("img")),
        ], defaultPool: nil)
        #expect(decide(r, "/login?next=/") == "api")
        #expect(decide(r, "/login/") == "404")
        #expect(decide(r, "/img/42.png?v=1") == "img")
        #expect(decide(r, "/img/x.png") == "404")
    }

    @Test func headerPresenceAndValue() throws {
        let r = try router([
            ContentRule(match: RuleMatch(header: HeaderCondition(name: "X-Beta", value: "1")), action: .pool("img")),
            ContentRule(match: RuleMatch(header: HeaderCondition(name: "X-Api-Key")), action: .pool("api")),
        ])
        #expect(decide(r, "/", headers: [("x-beta", "1")]) == "img")
        #expect(decide(r, "/", headers: [("x-beta", "2")]) == "default")
        #expect(decide(r, "/", headers: [("X-API-KEY", "")]) == "api")
    }

    @Test func redirectsAndConfigurationErrors() throws {
        let r = try router([ContentRule(match: RuleMatch(path: .prefix("/old")), action: .redirect(Redirect(status: 308)))])
        #expect(decide(r, "/old/x") == "redirect 308")
        #expect(throws: ProxyConfigurationError.self) {
            try router([ContentRule(match: RuleMatch(path: .regex("(")), action: .pool("api"))])
        }
        #expect(throws: ProxyConfigurationError.unknownPool(service: "web", pool: "nope", usedBy: "rule 1")) {
            try router([ContentRule(match: RuleMatch(), action: .pool("nope"))])
        }
        #expect(throws: ProxyConfigurationError.invalidRedirectStatus(service: "web", rule: 1, status: 200)) {
            try router([ContentRule(match: RuleMatch(), action: .redirect(Redirect(status: 200)))])
        }
    }
}

@Suite struct RedirectLocationTests {
    let target = RequestTarget(uri: "/a/b?x=1", hostHeader: "www.example:8080")

    @Test func schemeChangeDropsTheOldPort() {
        #expect(RedirectLocation.make(Redirect(scheme: "https"), target: target, scheme: "http") == "https://www.example/a/b?x=1")
    }

    @Test func sameSchemeKeepsThePortUnlessReplaced() {
        #expect(RedirectLocation.make(Redirect(), target: target, scheme: "http") == "http://www.example:8080/a/b?x=1")
        #expect(RedirectLocation.make(Redirect(host: "new.example", port: 443), target: target, scheme: "https")
            == "https://new.example/a/b?x=1")
        #expect(RedirectLocation.make(Redirect(port: 8443), target: target, scheme: "https") == "https://www.example:8443/a/b?x=1")
    }
}
