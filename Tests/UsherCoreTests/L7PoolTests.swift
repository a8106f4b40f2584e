import Testing
@testable import UsherCore

/// Pools of an http/https service: names, reals, scheduling, affinity, TLS and PROXY protocol
/// towards the reals, health checks, timeouts.
@Suite struct L7PoolTests {
    // MARK: Names

    @Test func aPoolNameTwice() throws {
        // The rule that sent requests to the renamed pool is reported too.
        let errors = parseErrors(try l7File(replacing: "- name: api", with: "- name: app"))
        #expect(errors.map(\.field) == ["services[0].pools[1].name", "services[0].rules[0].pool"])
        #expect(errors.map(\.line) == [l7Line("- name: api"), l7Line("pool: api")])
        #expect(errors[0].message == "pool name \"app\" is already used at services[0].pools[0].name (line 27)")
        #expect(errors[0].hint == "give every pool of a service its own name")
        #expect(errors[1].message == "no pool named \"api\" in this service")
        #expect(errors[1].hint == "did you mean \"app\"? The pools are app or legacy")
    }

    @Test(arguments: [("\"\"", "the pool name is empty"), ("old app", "pool name \"old app\" contains a space")])
    func aBadPoolName(name: String, message: String) throws {
        let errors = parseErrors(try l7File(replacing: "- name: legacy", with: "- name: \(name)"))
        #expect(errors.map(\.field) == ["services[0].pools[2].name", "services[0].rules[2].pool"])
        #expect(errors.map(\.line) == [l7Line("- name: legacy"), l7Line("pool: legacy")])
        #expect(errors.first?.message == message)
        #expect(errors.first?.hint == ConfigValidator.poolNameHint)
    }

    @Test func aPoolWithoutAName() throws {
        let errors = parseErrors(try l7File(replacing: "- name: legacy", with: "- connect-timeout: 1s"))
        #expect(errors.map(\.field) == ["services[0].pools[2].name", "services[0].rules[2].pool"])
        #expect(errors.map(\.line) == [l7Line("- name: legacy"), l7Line("pool: legacy")])
        #expect(errors.first?.message == "missing field \"name\" in a pool")
        #expect(errors.first?.hint?.hasPrefix("add `name: app`") == true)
    }

    @Test func aPoolWithoutRealsIsAllowed() throws {
        let config = try ConfigLoader.parse(yaml: try l7File(), file: "f")
        #expect(config.services[0].l7?.pool(named: "legacy")?.members == [])
    }

    // MARK: Reals

    @Test func realsNeedAnAddressAndAPort() throws {
        try expectL7Error("port: 9001", "# no port", line: l7Line("- address: 127.0.0.1"), field: "services[0].pools[1].reals[1].port",
                          message: "missing field \"port\" in a real", hint: "add `port: 8080`")
        try expectL7Error("- address: 127.0.0.1", "- # no address", line: l7Line("port: 9001"), field: "services[0].pools[1].reals[1].address",
                          message: "missing field \"address\" in a real")
    }

    @Test(arguments: [("0", "port 0 is out of range"), ("70000", "port 70000 is out of range"), ("-1", "port -1 is out of range")])
    func realPortsOutOfRange(port: String, message: String) throws {
        try expectL7Error("port: 9001", "port: \(port)", field: "services[0].pools[1].reals[1].port", message: message, hint: "use 1 to 65535")
    }

    @Test func aRealPortThatIsNoNumber() throws {
        try expectL7Error("port: 9001", "port: http", field: "services[0].pools[1].reals[1].port", message: "port \"http\" is not a whole number")
    }

    @Test func realWeights() throws {
        try expectL7Error("weight: 3", "weight: 1001", field: "services[0].pools[0].reals[1].weight",
                          message: "weight 1001 is above 1000", hint: "use 0 (drain) to 1000")
        try expectL7Error("weight: 3", "weight: -2", field: "services[0].pools[0].reals[1].weight", message: "weight -2 is below 0")
    }

    @Test func theSameRealTwiceInAPool() throws {
        try expectL7Error("- address: 198.51.100.12", "- address: 198.51.100.11", field: "services[0].pools[0].reals[1].address",
                          message: "real 198.51.100.11:8080 is already listed at services[0].pools[0].reals[0].address (line 36)",
                          hint: "larger weight")
    }

    @Test func theSameAddressOnAnotherPortIsAnotherReal() throws {
        var yaml = try l7File(replacing: "- address: 198.51.100.12", with: "- address: 198.51.100.11")
        yaml = yaml.replacingOccurrences(of: "            port: 8080\n            weight: 3", with: "            port: 8081\n            weight: 3")
        #expect(try ConfigLoader.parse(yaml: yaml, file: "f").services[0].l7?.pools[0].members.map(\.port) == [8080, 8081])
    }

    @Test func unreachableRealAddresses() throws {
        try expectL7Error("- address: 127.0.0.1", "- address: 224.0.0.1", field: "services[0].pools[1].reals[1].address",
                          message: "224.0.0.1 is a multicast address and cannot be a real server")
        try expectL7Error("- address: 127.0.0.1", "- address: 0.0.0.0", field: "services[0].pools[1].reals[1].address",
                          message: "0.0.0.0 is the unspecified address and cannot be a real server")
        try expectL7Error("- address: 127.0.0.1", "- address: 198.51.100.300", field: "services[0].pools[1].reals[1].address",
                          message: "\"198.51.100.300\" is not an IP address")
    }

    @Test func anL4RealFieldInAPool() throws {
        try expectL7Error("weight: 0", "mac: 02:00:00:00:00:11", field: "services[0].pools[1].reals[1].mac",
                          message: "unknown field \"mac\" in a real", hint: "known fields: address, port, weight")
    }

    // MARK: Scheduler, affinity, PROXY protocol

    @Test func anUnknownScheduler() throws {
        try expectL7Error("scheduler: least-connections", "scheduler: leastconn", field: "services[0].pools[0].scheduler",
                          message: "unknown scheduler \"leastconn\"", hint: "did you mean \"least-connections\"?")
        try expectL7Error("scheduler: least-connections", "scheduler: random", field: "services[0].pools[0].scheduler",
                          message: "unknown scheduler \"random\"", hint: "write round-robin, weighted-round-robin or least-connections")
    }

    @Test(arguments: [
        ("affinity: cookie", "affinity cookie needs the name of the cookie", "`affinity: cookie USHERID`"),
        ("affinity: header", "affinity header needs the name of the header", "`affinity: header X-User`"),
        ("affinity: source-ip 24", "affinity source-ip takes no name", "write `affinity: source-ip`"),
        ("affinity: cookie A B", "affinity cookie takes one name, found 2", "cookie USHERID"),
        ("affinity: sticky", "unknown affinity \"sticky\"", "write none, source-ip, header NAME"),
        ("affinity: source", "unknown affinity \"source\"", "did you mean \"source-ip\"?"),
        ("affinity: header X(User)", "header name \"X(User)\" contains '('", "letters, digits"),
        ("affinity: cookie USHER;ID", "cookie name \"USHER;ID\" contains ';'", "e.g. USHERID"),
    ])
    func affinities(new: String, message: String, hint: String) throws {
        try expectL7Error("affinity: cookie USHERID", new, field: "services[0].pools[0].affinity", message: message, hint: hint)
    }

    @Test func everyAffinityParses() throws {
        for (text, affinity) in [("none", Affinity.none), ("source-ip", .sourceIP), ("header X-User", .header("X-User")),
                                 ("cookie SRV", .insertedCookie("SRV")), ("app-cookie PHPSESSID", .applicationCookie("PHPSESSID"))] {
            let config = try expectL7Valid("affinity: cookie USHERID", "affinity: \(text)")
            #expect(config.services.first?.l7?.pools.first?.affinity == affinity, "\(text)")
        }
    }

    @Test func anUnknownProxyProtocolVersion() throws {
        try expectL7Error("proxy-protocol: v2", "proxy-protocol: v3", field: "services[0].pools[0].proxy-protocol",
                          message: "unknown PROXY protocol version \"v3\"", hint: "The choices are v1 or v2")
        try expectL7Error("proxy-protocol: v2", "proxy-protocol: 2", field: "services[0].pools[0].proxy-protocol",
                          message: "unknown PROXY protocol version \"2\"", hint: "did you mean \"v2\"?")
    }

    // MARK: TLS towards the reals

    static let upstream = "tls: { ca: @DIR@/ca.pem, server-name: app.internal }"

    @Test func upstreamTLSNeedsAChoice() throws {
        try expectL7Error(Self.upstream, "tls: { server-name: app.internal }", field: "services[0].pools[0].tls",
                          message: "TLS towards the real servers needs a choice: verify their certificates or not",
                          hint: "`verify: false` to encrypt without verifying")
        try expectL7Error(Self.upstream, "tls: { verify: true }", field: "services[0].pools[0].tls.verify",
                          message: "verify: true needs the CA to verify against", hint: "add `ca: /etc/usher/ca.pem`")
        try expectL7Error(Self.upstream, "tls: { ca: @DIR@/ca.pem, verify: false }", field: "services[0].pools[0].tls.verify",
                          message: "verify: false contradicts ca:", hint: "or remove it to encrypt without verifying")
    }

    @Test func theCAMustBeACertificateFile() throws {
        let dir = try L7Files.directory()
        try expectL7Error(Self.upstream, "tls: { ca: @DIR@/no-ca.pem }", field: "services[0].pools[0].tls.ca",
                          message: "no file at \(dir)/no-ca.pem")
        try expectL7Error(Self.upstream, "tls: { ca: @DIR@/ca.key }", field: "services[0].pools[0].tls.ca",
                          message: "\(dir)/ca.key holds a private key but no certificate")
    }

    @Test func theUpstreamServerNameIsAHostName() throws {
        try expectL7Error(Self.upstream, "tls: { ca: @DIR@/ca.pem, server-name: \"*.internal\" }", field: "services[0].pools[0].tls.server-name",
                          message: "host \"*.internal\" is a wildcard; a single name is needed here", hint: "app.internal")
    }

    @Test func verifyFalseIsAChoice() throws {
        let config = try expectL7Valid(Self.upstream, "tls: { verify: false, server-name: app.internal }")
        #expect(config.services.first?.l7?.pools.first?.upstreamTLS == UpstreamTLS(caPath: nil, serverName: "app.internal"))
    }

    // MARK: Health checks and timeouts

    static let check = "health-check: { type: http, path: /healthz, expect-status: 204, interval: 2s, timeout: 500ms, rise: 2, fall: 3 }"

    @Test(arguments: [
        ("{ type: http }", "health-check.path", "missing field \"path\" in an http health check", "add `path: /healthz`"),
        ("{ type: http, path: healthz }", "health-check.path", "health check path \"healthz\" does not start with /", "e.g. /healthz"),
        ("{ type: http, path: /health check }", "health-check.path", "health check path \"/health check\" contains a space", "%20"),
        ("{ type: http, path: /, expect-status: 600 }", "health-check.expect-status", "expect-status 600 is above 599", "use 100 to 599"),
        ("{ type: http, path: /, expect-status: OK }", "health-check.expect-status", "expect-status \"OK\" is not a whole number", "e.g. 200"),
        ("{ type: tcp, interval: 1s, timeout: 2s }", "health-check.timeout", "timeout 2s is not shorter than the interval 1s",
         "shorten the timeout"),
        ("{ type: tcp, timeout: 0s }", "health-check.timeout", "timeout 0s is not above 0", "shorter than the interval"),
        ("{ type: tcp, interval: 2h }", "health-check.interval", "interval 2h is above 1h", "use 100ms to 1h"),
        ("{ type: tcp, rise: 0 }", "health-check.rise", "rise 0 is below 1", "use 1 to 100"),
        ("{ type: tcp, fall: 101 }", "health-check.fall", "fall 101 is above 100", "use 1 to 100"),
        ("{ type: tcp, path: /healthz }", "health-check.path", "\"path\" is for http and https health checks, not tcp", "write `type: http`"),
        ("{ type: icmp }", "health-check.type", "unknown health check type \"icmp\"", "The choices are none, tcp, tls, http, https, udp, dns or script"),
        ("{ path: /healthz }", "health-check.type", "missing field \"type\" in a health check", "add `type: http`"),
        ("{ type: http, path: /, colour: blue }", "health-check.colour", "unknown field \"colour\" in a health check", "known fields"),
    ])
    func healthChecks(new: String, field: String, message: String, hint: String) throws {
        try expectL7Error(Self.check, "health-check: \(new)", field: "services[0].pools[0].\(field)", message: message, hint: hint)
    }

    @Test func poolTimeouts() throws {
        try expectL7Error("connect-timeout: 2s", "connect-timeout: 0", field: "services[0].pools[0].connect-timeout",
                          message: "connect-timeout 0s is below 10ms", hint: "use 10ms to 1m")
        try expectL7Error("response-timeout: 30s", "response-timeout: 2h", field: "services[0].pools[0].response-timeout",
                          message: "response-timeout 2h is above 1h")
        try expectL7Error("response-timeout: 30s", "response-timeout: forever", field: "services[0].pools[0].response-timeout",
                          message: "response-timeout \"forever\" is not a duration")
    }
}
