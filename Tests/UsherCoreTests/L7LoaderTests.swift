import Foundation
import Testing
@testable import UsherCore

/// `http`/`https` services read from a file: the whole model, defaults, and how errors in one
/// part of the L7 settings are reported without hiding or repeating the others.
@Suite struct L7LoaderTests {
    static func member(_ address: String, _ port: UInt16, weight: UInt32 = 1) -> PoolMember {
        PoolMember(address: IPAddress(address)!, port: port, weight: weight)
    }

    @Test func theFullFileParsesToTheExactModel() throws {
        let dir = try L7Files.directory()
        let config = try ConfigLoader.parse(yaml: try l7File(), file: "usher.yaml")
        let shop = L7Settings(
            tls: TLSSettings(certificates: [
                CertificateFiles(certificatePath: "\(dir)/site.pem", keyPath: "\(dir)/site.key"),
                CertificateFiles(certificatePath: "\(dir)/other.pem", keyPath: "\(dir)/other.key"),
            ], alpn: [.h2, .http1_1]),
            limits: HTTPLimits(maxRequestLineBytes: 4096, maxHeaderBytes: 32768, maxHeaderCount: 50, maxBodyBytes: 10_485_760,
                               headerTimeoutSeconds: 5, idleTimeoutSeconds: 60, maxConnections: 20000),
            forwardedHeaders: true,
            requestHeaders: HeaderRewrite(fieldsToSet: [HeaderField(name: "X-Env", value: "prod")], namesToRemove: ["X-Debug"]),
            responseHeaders: HeaderRewrite(fieldsToSet: [HeaderField(name: "Strict-Transport-Security", value: "max-age=63072000")],
                                           namesToRemove: ["Server"]),
            pools: [
                Pool(name: "app", scheduler: .leastConnections, affinity: .insertedCookie("USHERID"),
                     upstreamTLS: UpstreamTLS(caPath: "\(dir)/ca.pem", serverName: "app.internal"), proxyProtocol: .v2,
                     healthCheck: HealthCheck(kind: .http(path: "/healthz", expectStatus: 204), intervalSeconds: 2, timeoutSeconds: 0.5,
                                              rise: 2, fall: 3),
                     members: [Self.member("198.51.100.11", 8080), Self.member("198.51.100.12", 8080, weight: 3)],
                     connectTimeoutSeconds: 2, responseTimeoutSeconds: 30),
                Pool(name: "api", affinity: .header("X-User"), upstreamTLS: UpstreamTLS(caPath: nil), proxyProtocol: .v1,
                     healthCheck: HealthCheck(kind: .tcp),
                     members: [Self.member("2001:db8:5::21", 9000), Self.member("127.0.0.1", 9001, weight: 0)]),
                Pool(name: "legacy", scheduler: .weightedRoundRobin, affinity: .applicationCookie("JSESSIONID")),
            ],
            rules: [
                ContentRule(match: RuleMatch(host: "*.shop.example", path: .prefix("/api"), header: HeaderCondition(name: "X-Canary", value: "1")),
                            action: .pool("api")),
                ContentRule(match: RuleMatch(path: .exact("/login")), action: .pool("app")),
                ContentRule(match: RuleMatch(path: .regex("^/v[0-9]+/"), header: HeaderCondition(name: "X-Legacy")), action: .pool("legacy")),
                ContentRule(match: RuleMatch(path: .prefix("/old")),
                            action: .redirect(Redirect(scheme: "https", host: "shop.example", status: 308))),
                ContentRule(match: RuleMatch(host: "www.shop.example"), action: .redirect(Redirect(host: "shop.example", port: 8443))),
            ],
            defaultPool: "app",
            accessLog: .file("\(dir)/logs/shop.log")
        )
        let plain = L7Settings(forwardedHeaders: false, rules: [ContentRule(match: RuleMatch(), action: .redirect(Redirect(scheme: "https")))],
                               accessLog: .none)
        let expected = BalancerConfig(services: [
            VirtualService(name: "shop", vip: IPAddress("203.0.113.20")!, port: 443, proto: .tcp, mode: .https, l7: shop),
            VirtualService(name: "plain", vip: IPAddress("203.0.113.20")!, port: 80, proto: .tcp, mode: .http, l7: plain),
            VirtualService(name: "dns", vip: IPAddress("203.0.113.53")!, port: 53, proto: .udp, mode: .dsrL2,
                           reals: [RealServer(address: IPAddress("198.51.100.31")!)]),
        ])
        #expect(config == expected)
        // The parts compared one by one too, so that a difference is easy to read.
        #expect(config.services[0].l7?.pools == shop.pools)
        #expect(config.services[0].l7?.rules == shop.rules)
        #expect(config.services[0].l7?.limits == shop.limits)
        #expect(config.services[2].l7 == nil)
    }

    @Test func theL7SettingsSurviveTheStateStore() throws {
        // What the CLI keeps as the last applied config, and re-validates on every change.
        let config = try ConfigLoader.parse(yaml: try l7File(), file: "usher.yaml")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("usher-state-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try StateStore(directory: dir).save(config)
        let loaded = try #require(try StateStore(directory: dir).load())
        #expect(loaded == config)
        #expect(ConfigValidator.validate(loaded).isEmpty)
    }

    @Test func leftOutFieldsTakeTheModelsDefaults() throws {
        let config = try ConfigLoader.parse(yaml: serviceFile(mode: "http", extra: try l7Extra(mode: "http"), reals: []), file: "f")
        let l7 = try #require(config.services[0].l7)
        #expect(l7 == L7Settings(pools: [Pool(name: "app", members: [Self.member("198.51.100.11", 8080)])], defaultPool: "app"))
        #expect(l7.limits == HTTPLimits())
        #expect(l7.accessLog == .standardOutput && l7.forwardedHeaders && l7.tls == nil)
        let https = try ConfigLoader.parse(yaml: serviceFile(port: "443", mode: "https", extra: try l7Extra(mode: "https"), reals: []), file: "f")
        #expect(https.services[0].l7?.tls?.alpn == [.h2, .http1_1])
    }

    @Test(arguments: [
        ("max-body: 10MiB", "max-body: 1GiB", 1 << 30), ("max-body: 10MiB", "max-body: 512KiB", 512 << 10),
        ("max-body: 10MiB", "max-body: 1000", 1000), ("max-body: 10MiB", "max-body: 64 MiB", 64 << 20),
        ("max-body: 10MiB", "max-body: 2048B", 2048),
    ])
    func sizesTakeBinaryUnits(old: String, new: String, bytes: Int) throws {
        let config = try ConfigLoader.parse(yaml: try l7File(replacing: old, with: new), file: "f")
        #expect(config.services[0].l7?.limits.maxBodyBytes == bytes)
    }

    @Test(arguments: [("10", 10.0), ("10s", 10), ("1.5s", 1.5), ("250ms", 0.25), ("2m", 120), ("1h", 3600), ("0.5", 0.5)])
    func durationsTakeUnits(text: String, seconds: Double) throws {
        let config = try ConfigLoader.parse(yaml: try l7File(replacing: "idle-timeout: 1m", with: "idle-timeout: \(text)"), file: "f")
        #expect(config.services[0].l7?.limits.idleTimeoutSeconds == seconds)
    }

    @Test func indicesAndLinesAreThoseOfTheFileWhenEarlierItemsAreBroken() throws {
        // A pool, a real and a rule that are left out of the model: the problems found later
        // must still name the file's items and lines.
        var yaml = try l7File().replacingOccurrences(of: "    pools:\n", with: "    pools:\n      - app\n")
        yaml = yaml.replacingOccurrences(of: "    rules:\n      - host: \"*", with: "    rules:\n      - /api\n      - host: \"*")
        yaml = yaml.replacingOccurrences(of: "- address: 2001:db8:5::21", with: "- address: 2001:db8:5::2x")
        yaml = yaml.replacingOccurrences(of: "- address: 127.0.0.1", with: "- address: 224.0.0.1")
        yaml = yaml.replacingOccurrences(of: "        pool: app", with: "        pool: nope")
        let errors = parseErrors(yaml)
        #expect(errors.map(\.field) == [
            "services[0].pools[0]", "services[0].pools[2].reals[0].address", "services[0].pools[2].reals[1].address",
            "services[0].rules[0]", "services[0].rules[2].pool",
        ])
        func line(_ fragment: String) -> Int {
            (yaml.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) } ?? -1) + 1
        }
        #expect(errors.map(\.line) == [line("- app"), line("2001:db8:5::2x"), line("224.0.0.1"), line("- /api"), line("pool: nope")])
        #expect(errors[0].message == "expected a pool, found \"app\"")
        #expect(errors[2].message == "224.0.0.1 is a multicast address and cannot be a real server")
        #expect(errors[3].message == "expected a rule, found \"/api\"")
        #expect(errors[4].message == "no pool named \"nope\" in this service")
    }

    @Test func aPoolOrRuleWithAnUnreadablePartIsStillChecked() throws {
        // The pool's name and the rule's action cannot be read; what else is wrong in them is
        // reported in the same run, and nothing twice.
        var yaml = try l7File(replacing: "- name: app", with: "- name: [app]")
        yaml = yaml.replacingOccurrences(of: "expect-status: 204", with: "expect-status: 700")
        yaml = yaml.replacingOccurrences(of: "- path: /login\n        pool: app", with: "- path: login\n        pool: { name: app }")
        let errors = parseErrors(yaml)
        #expect(errors.map(\.field) == [
            "services[0].pools[0].name", "services[0].pools[0].health-check.expect-status", "services[0].rules[1].path",
            "services[0].rules[1].pool", "services[0].default-pool",
        ])
        #expect(errors.map(\.message) == [
            "expected a pool name, found a list", "expect-status 700 is above 599", "path \"login\" does not start with /",
            "expected a pool name, found a mapping (key: value pairs)", "no pool named \"app\" in this service",
        ])
    }

    @Test func everyL7ProblemIsReportedAtOnceInFileOrder() throws {
        var yaml = try l7File()
        for (old, new) in [("max-headers: 50", "max-headers: 5"), ("alpn: [h2, http/1.1]", "alpn: [h2, spdy]"),
                           ("expect-status: 204", "expect-status: 999"), ("path: /login", "path: login"),
                           ("status: 308", "status: 200"), ("default-pool: app", "default-pool: web")] {
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        let errors = parseErrors(yaml)
        #expect(errors.map(\.field) == [
            "services[0].tls.alpn[1]", "services[0].limits.max-headers", "services[0].pools[0].health-check.expect-status",
            "services[0].rules[1].path", "services[0].rules[3].redirect.status", "services[0].default-pool",
        ])
        #expect(errors.map(\.line) == ["alpn:", "max-headers: 50", "expect-status: 204", "path: /login", "status: 308", "default-pool: app"].map(l7Line))
        #expect(errors.allSatisfy { $0.file == "usher.yaml" && $0.hint != nil })
    }

    @Test func theL7ExampleOfTheDocsIsValid() throws {
        // Docs/CONFIG.md's example, with its file paths pointed at real files.
        let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("Docs/CONFIG.md"), encoding: .utf8)
        let start = try #require(docs.range(of: "```yaml\n# http and https services"))
        let end = try #require(docs.range(of: "```", range: start.upperBound..<docs.endIndex))
        let dir = try L7Files.directory()
        let yaml = String(docs[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "/etc/usher/shop.pem", with: "\(dir)/site.pem").replacingOccurrences(of: "/etc/usher/shop.key", with: "\(dir)/site.key")
            .replacingOccurrences(of: "/etc/usher/www.pem", with: "\(dir)/other.pem").replacingOccurrences(of: "/etc/usher/www.key", with: "\(dir)/other.key")
            .replacingOccurrences(of: "/etc/usher/ca.pem", with: "\(dir)/ca.pem").replacingOccurrences(of: "/var/log/usher", with: "\(dir)/logs")
        let config = try ConfigLoader.parse(yaml: "# http and https services" + yaml, file: "CONFIG.md")
        #expect(config.services.allSatisfy { $0.l7 != nil })
    }
}
