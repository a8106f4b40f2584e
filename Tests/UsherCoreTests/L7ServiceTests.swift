import Testing
@testable import UsherCore

/// Which fields belong to which mode, and the L7 checks on a config built in memory (as the
/// CLI validates the last applied config with a change), where errors carry paths only.
@Suite struct L7ServiceTests {
    @Test func anHTTPServiceNeedsPools() {
        let errors = parseErrors(serviceFile(mode: "http", extra: ["default-pool: app"], reals: []))
        #expect(errors.map(\.field) == ["services[0].pools", "services[0].default-pool"])
        #expect(errors.map(\.line) == [2, 7])
        #expect(errors.first?.message == "missing field \"pools\" in an http service")
        #expect(errors.first?.hint?.contains("`pools: []` if every request is redirected") == true)
        #expect(errors.last?.description == "usher.yaml:7:19: services[0].default-pool: no pool named \"app\" in this service (add it under `pools:`)")
    }

    @Test func anHTTPServiceRefusesReals() throws {
        // serviceFile puts `reals:` after the extra lines: line 9.
        expectOneError(serviceFile(mode: "http", extra: try l7Extra(mode: "http")), line: 9, field: "services[0].reals",
                       message: "an http service reaches its real servers through pools, not \"reals\"", hint: "put them in a pool")
    }

    @Test(arguments: [
        ("hash: source-ip", "services[0].hash", "\"hash\" is for dsr-l2, dsr-ipip, nat and gateway services, not http", "affinity: source-ip"),
        ("maglev-table-size: 251", "services[0].maglev-table-size", "\"maglev-table-size\" is for dsr-l2, dsr-ipip, nat and gateway services, not http",
         "each pool's scheduler"),
    ])
    func l4FieldsAreRefusedForHTTP(line: String, field: String, message: String, hint: String) throws {
        expectOneError(serviceFile(mode: "http", extra: [line] + (try l7Extra(mode: "http")), reals: []), line: 7, field: field,
                       message: message, hint: hint)
    }

    @Test(arguments: ["dsr-l2", "dsr-ipip"])
    func l7FieldsAreRefusedForL4Modes(mode: String) {
        let errors = parseErrors(serviceFile(mode: mode, extra: ["pools: []", "default-pool: app", "access-log: none"],
                                             before: "encapsulation:\n  source-v4: 198.51.100.64/26\n"))
        #expect(errors.map(\.field) == ["services[0].pools", "services[0].default-pool", "services[0].access-log"])
        #expect(errors.map(\.line) == [7, 8, 9])
        #expect(errors.map(\.column) == [5, 5, 5])
        #expect(errors.first?.message == "\"pools\" is for http and https services, not \(mode)")
        #expect(errors.first?.hint == "remove it, or set `mode: http` (or `https`) to have the proxy serve this service")
    }

    @Test func aServiceWithAnUnreadableModeIsNotAlsoJudgedByItsFields() {
        // The mode is wrong; whether pools or reals fit it cannot be said, so only the mode is reported.
        expectOneError(serviceFile(mode: "htp", extra: ["pools: []"]), line: 6, field: "services[0].mode",
                       message: "unknown mode \"htp\"", hint: "did you mean \"http\"?")
    }

    @Test func theTLSSynonymOfTheModeNamesHTTPS() {
        expectOneError(serviceFile(mode: "tls", extra: ["pools: []"], reals: []), line: 6, field: "services[0].mode",
                       message: "unknown mode \"tls\"", hint: "did you mean \"https\"?")
    }

    // MARK: In memory

    static let vip = IPAddress("203.0.113.20")!

    static func service(_ mode: ForwardingMode = .http, l7: L7Settings?, reals: [RealServer] = []) -> BalancerConfig {
        BalancerConfig(services: [VirtualService(name: "site", vip: vip, port: 80, proto: .tcp, mode: mode, reals: reals, l7: l7)])
    }

    static let routed = L7Settings(pools: [Pool(name: "app", members: [PoolMember(address: IPAddress("198.51.100.11")!, port: 8080)])],
                                   defaultPool: "app")

    @Test func aValidL7ServiceInMemory() throws {
        try Self.service(l7: Self.routed).validate()
    }

    @Test func anHTTPServiceAddedByTheCommandLineHasNoPools() {
        // `usher service add site --mode http` cannot give pools: the config file must.
        let errors = ConfigValidator.validate(Self.service(l7: nil))
        #expect(errors.map(\.description) == [
            "services[0].pools: an http service needs its pools of real servers "
                + "(write the service in the config file with `pools:` (and `tls:` for https), and apply it)",
        ])
    }

    @Test func l4RealsAndL7SettingsInTheWrongModes() {
        let reals = [RealServer(address: IPAddress("198.51.100.11")!)]
        #expect(ConfigValidator.validate(Self.service(l7: Self.routed, reals: reals)).map(\.field) == ["services[0].reals"])
        let l4 = ConfigValidator.validate(Self.service(.dsrL2, l7: Self.routed, reals: reals))
        #expect(l4.map(\.description) == [
            "services[0].mode: a dsr-l2 service has proxy settings (pools, rules, tls, …) "
                + "(they are for http and https services: set mode: http or https, or remove them)",
        ])
    }

    @Test func valuesOnlyAnEditedConfigCanHoldAreChecked() {
        // A port 0 and a weight above 1000 cannot be read from a file; in memory they can.
        var l7 = Self.routed
        l7.pools[0].members = [PoolMember(address: IPAddress("198.51.100.11")!, port: 0, weight: 2000)]
        l7.pools.append(Pool(name: ""))
        l7.rules = [ContentRule(match: RuleMatch(), action: .redirect(Redirect(port: 0, status: 200)))]
        let errors = ConfigValidator.validate(Self.service(l7: l7))
        #expect(errors.map(\.field) == [
            "services[0].pools[0].reals[0].port", "services[0].pools[0].reals[0].weight", "services[0].pools[1].name",
            "services[0].rules[0].redirect.port", "services[0].rules[0].redirect.status",
        ])
        #expect(errors.allSatisfy { $0.file == nil && $0.line == nil && $0.hint != nil })
    }

    @Test func boundsArePublicForTheProxyAndTheDocs() {
        #expect(ConfigValidator.L7Bounds.maxHeaderBytes.lowerBound == 1024)
        #expect(ConfigValidator.L7Bounds.redirectStatuses == [301, 302, 303, 307, 308])
        // The model's defaults are within the bounds.
        let limits = HTTPLimits()
        #expect(ConfigValidator.L7Bounds.maxRequestLineBytes.contains(limits.maxRequestLineBytes))
        #expect(ConfigValidator.L7Bounds.maxHeaderBytes.contains(limits.maxHeaderBytes))
        #expect(ConfigValidator.L7Bounds.maxHeaderCount.contains(limits.maxHeaderCount))
        #expect(ConfigValidator.L7Bounds.headerTimeoutSeconds.contains(limits.headerTimeoutSeconds))
        #expect(ConfigValidator.L7Bounds.idleTimeoutSeconds.contains(limits.idleTimeoutSeconds))
        #expect(ConfigValidator.L7Bounds.maxConnections.contains(limits.maxConnections))
        let pool = Pool(name: "p"), check = HealthCheck(kind: .tcp)
        #expect(ConfigValidator.L7Bounds.connectTimeoutSeconds.contains(pool.connectTimeoutSeconds))
        #expect(ConfigValidator.L7Bounds.responseTimeoutSeconds.contains(pool.responseTimeoutSeconds))
        #expect(ConfigValidator.L7Bounds.healthIntervalSeconds.contains(check.intervalSeconds) && check.timeoutSeconds < check.intervalSeconds)
    }
}
