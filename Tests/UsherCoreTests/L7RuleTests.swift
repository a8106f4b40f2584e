import Testing
@testable import UsherCore

/// Content rules and `default-pool` of an http/https service.
@Suite struct L7RuleTests {
    // MARK: Actions

    @Test func aRuleWithAPoolAndARedirect() throws {
        try expectL7Error("        pool: app", "        pool: app\n        redirect: { host: shop.example }", line: l7Line("        pool: app") + 1,
                          field: "services[0].rules[1].redirect", message: "a rule either sends requests to a pool or redirects them, not both",
                          hint: "write two rules")
    }

    @Test func aRuleWithNeitherPoolNorRedirect() throws {
        try expectL7Error("        pool: app", "        # nothing", line: l7Line("- path: /login"), field: "services[0].rules[1].pool",
                          message: "missing \"pool\" or \"redirect\" in a rule", hint: "add `pool: NAME`")
    }

    @Test func aRuleNamingAPoolThatDoesNotExist() throws {
        try expectL7Error("        pool: app", "        pool: ap", field: "services[0].rules[1].pool", message: "no pool named \"ap\" in this service",
                          hint: "did you mean \"app\"? The pools are app, api or legacy")
        try expectL7Error("        pool: app", "        pool: images", field: "services[0].rules[1].pool", message: "no pool named \"images\" in this service",
                          hint: "the pools are app, api or legacy; add it under `pools:`")
    }

    // MARK: Conditions

    @Test func twoPathsInOneRule() throws {
        try expectL7Error("path: /login", "path: /login\n        path-prefix: /log", line: l7Line("path: /login") + 1,
                          field: "services[0].rules[1].path-prefix", message: "a rule matches one path, but \"path\" and \"path-prefix\" are given",
                          hint: "write several rules")
    }

    @Test(arguments: [
        ("path-prefix: /api", "path-prefix: api", "services[0].rules[0].path-prefix", "path \"api\" does not start with /"),
        ("path: /login", "path: login", "services[0].rules[1].path", "path \"login\" does not start with /"),
        ("path: /login", "path: /log in", "services[0].rules[1].path", "path \"/log in\" contains a space; requests carry it percent-encoded"),
        ("path-prefix: /old", "path-prefix: \"/\u{e9}t\u{e9}\"", "services[0].rules[3].path-prefix",
         "path \"/\u{e9}t\u{e9}\" contains a character that is not printable ASCII"),
    ])
    func badPaths(old: String, new: String, field: String, message: String) throws {
        try expectL7Error(old, new, field: field, message: message)
    }

    @Test func aRegexThatDoesNotCompile() throws {
        try expectL7Error("path-regex: \"^/v[0-9]+/\"", "path-regex: \"^/v[0-9+/\"", field: "services[0].rules[2].path-regex",
                          message: "\"^/v[0-9+/\" is not a valid regular expression", hint: "matched against the path")
        try expectL7Error("path-regex: \"^/v[0-9]+/\"", "path-regex: \"\"", field: "services[0].rules[2].path-regex",
                          message: "the regular expression is empty")
    }

    @Test(arguments: [
        ("\"\"", "the host name is empty"),
        ("shop.example:443", "host \"shop.example:443\" has a port; the host is matched without it, write shop.example"),
        ("shop.*.example", "host \"shop.*.example\" has a * that is not a whole first label"),
        ("\"*\"", "host \"*\" has a * that is not a whole first label"),
        ("shop..example", "host name \"shop..example\" has an empty label"),
        ("-shop.example", "host name \"-shop.example\" has a label that starts or ends with '-'"),
        ("shop/example", "host name \"shop/example\" contains '/'"),
    ])
    func badHosts(host: String, message: String) throws {
        try expectL7Error("- host: www.shop.example", "- host: \(host)", field: "services[0].rules[4].host", message: message,
                          hint: "*.shop.example for its subdomains")
    }

    @Test func hostsThatAreFine() throws {
        for host in ["SHOP.example", "203.0.113.20", "*.example", "a-b_c.example"] {
            let config = try expectL7Valid("- host: www.shop.example", "- host: \"\(host)\"")
            #expect(config.services.first?.l7?.rules[4].match.host == host)
        }
    }

    @Test func headerConditions() throws {
        try expectL7Error("header: { name: X-Canary, value: \"1\" }", "header: { name: \"X Canary\" }", field: "services[0].rules[0].header.name",
                          message: "header name \"X Canary\" contains a space")
        try expectL7Error("header: { name: X-Canary, value: \"1\" }", "header: { value: \"1\" }", field: "services[0].rules[0].header.name",
                          message: "missing field \"name\" in a header condition", hint: "e.g. X-Canary")
        try expectL7Error("header: X-Legacy", "header: [X-Legacy]", field: "services[0].rules[2].header",
                          message: "expected a header condition, found a list", hint: "`{name: X-Canary}` for any value")
    }

    @Test func aRuleAfterARuleWithoutConditionsIsNeverReached() throws {
        // rules[1] loses its path: it decides every request, so rules[2…4] can never match.
        let errors = parseErrors(try l7File(replacing: "- path: /login", with: "- # was path: /login"))
        #expect(errors.map(\.field) == ["services[0].rules[2]", "services[0].rules[3]", "services[0].rules[4]"])
        #expect(errors.map(\.line) == [l7Line("- path-regex:"), l7Line("- path-prefix: /old"), l7Line("- host: www.shop.example")])
        let rule1 = l7Line("        pool: app")
        #expect(errors.allSatisfy {
            $0.message == "this rule is never reached: every request is decided by the rule without conditions at services[0].rules[1] (line \(rule1))"
        })
        #expect(errors.first?.hint == "move it above that rule, or give that rule a host, path or header")
    }

    @Test func aMisspeltConditionIsNotTakenForARuleWithoutConditions() throws {
        // `pth:` is unknown, so the rule has no condition in the model; the rules after it are
        // not reported as never reached on top of the misspelling.
        try expectL7Error("- path: /login", "- pth: /login", field: "services[0].rules[1].pth",
                          message: "unknown field \"pth\" in a rule", hint: "did you mean \"path\"?")
    }

    // MARK: Redirects

    @Test(arguments: [
        ("status: 308", "status: 200", "redirect.status", "status 200 is not a redirect", "use 301 or 308 (permanent), 302, 303 or 307"),
        ("status: 308", "status: moved", "redirect.status", "status \"moved\" is not a whole number", "use 301 or 308"),
        ("scheme: https,", "scheme: ftp,", "redirect.scheme", "unknown scheme \"ftp\"", "write http or https"),
        ("host: shop.example, status", "host: \"*.shop.example\", status", "redirect.host",
         "host \"*.shop.example\" is a wildcard; a single name is needed here", "the host name to send clients to"),
        ("status: 308", "status: 308, port: 0", "redirect.port", "port 0 is out of range", "use 1 to 65535"),
        ("status: 308", "status: 308, port: 65536", "redirect.port", "port 65536 is out of range", "use 1 to 65535"),
        ("status: 308", "status: 308, path: /new", "redirect.path", "unknown field \"path\" in a redirect", "known fields: scheme, host, port, status"),
    ])
    func badRedirects(old: String, new: String, field: String, message: String, hint: String) throws {
        let line = "redirect: { scheme: https, host: shop.example, status: 308 }"
        try expectL7Error(line, line.replacingOccurrences(of: old, with: new), field: "services[0].rules[3].\(field)", message: message, hint: hint)
    }

    @Test func aRedirectToTheSameURLWouldLoop() throws {
        let line = "redirect: { scheme: https, host: shop.example, status: 308 }"
        try expectL7Error(line, "redirect: { status: 302 }", field: "services[0].rules[3].redirect",
                          message: "this redirect changes nothing: clients would be sent to the URL they asked for, again and again",
                          hint: "give a `host:` or a `port:`, or `scheme: http`")
        // The https service redirecting to https, without another host or port.
        try expectL7Error(line, "redirect: { scheme: https }", field: "services[0].rules[3].redirect",
                          message: "this redirect keeps the scheme https of this service")
        // The http service: `scheme: http` loops, `scheme: https` is the usual redirect.
        try expectL7Error("- redirect: { scheme: https }", "- redirect: { scheme: http }", field: "services[1].rules[0].redirect",
                          message: "this redirect keeps the scheme http of this service", hint: "give `scheme: https`")
    }

    // MARK: default-pool

    @Test func aDefaultPoolThatDoesNotExist() throws {
        try expectL7Error("default-pool: app", "default-pool: web", field: "services[0].default-pool",
                          message: "no pool named \"web\" in this service", hint: "the pools are app, api or legacy")
    }

    @Test func noDefaultPoolAndNoRulesWouldOnlyAnswer404() throws {
        expectOneError(serviceFile(mode: "http", extra: ["pools: [{name: app, reals: [{address: 198.51.100.11, port: 8080}]}]"], reals: []),
                       line: 2, field: "services[0].default-pool", message: "no default-pool and no rules: every request would get 404",
                       hint: "add `default-pool: app`")
        expectOneError(serviceFile(mode: "http", extra: ["pools: []", "rules: []"], reals: []), line: 2, field: "services[0].default-pool",
                       message: "no default-pool and no rules", hint: "add a pool and `default-pool:` naming it, or rules")
    }

    @Test func rulesWithoutADefaultPoolAreFine() throws {
        let config = try expectL7Valid("default-pool: app", "# no default pool: requests no rule decides get 404")
        #expect(config.services.first?.l7?.defaultPool == nil)
    }

    @Test func anUnreadableDefaultPoolIsReportedOnce() throws {
        // Not also as "no default-pool and no rules".
        expectOneError(serviceFile(mode: "http", extra: ["pools: []", "default-pool: [app]"], reals: []), line: 8,
                       field: "services[0].default-pool", message: "expected the default pool, found a list")
    }

    @Test func brokenRulesAreNotAlsoReportedAsMissing() throws {
        // The only rule cannot be read: its error, not also "no default-pool and no rules".
        expectOneError(serviceFile(mode: "http", extra: ["pools: []", "rules: [{path: /x}]"], reals: []), line: 8,
                       field: "services[0].rules[0].pool", message: "missing \"pool\" or \"redirect\" in a rule")
    }
}
