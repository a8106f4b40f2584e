import Foundation
import Testing
@testable import UsherCore

@Suite struct ConfigLoaderTests {
    static let fullFile = """
    # Two interfaces, both address families, every field.
    interfaces:
      - name: eth0
        xdp-mode: generic
      - name: veth-lb0
    encapsulation:
      source-v4: 198.51.100.64/26
      source-v6: 2001:db8:2::/112
    services:
      - name: web
        vip: 203.0.113.10
        port: 80
        protocol: tcp
        mode: dsr-l2
        reals:
          - address: 198.51.100.11
            weight: 2
            mac: 02:00:00:00:00:11
          - address: 198.51.100.12
            weight: 0
      - name: dns
        vip: 203.0.113.53
        port: "*"
        protocol: udp
        mode: dsr-ipip
        maglev-table-size: 131071
        hash: source-ip
        reals:
          - address: 198.51.100.21
          - {address: 198.51.100.22, weight: 1000}
      - name: web6
        vip: 2001:db8:1::10
        port: 80
        protocol: tcp
        mode: http
        pools: []
        rules:
          - redirect: {scheme: https}
    """

    @Test func aFullFileParsesToTheModel() throws {
        let config = try ConfigLoader.parse(yaml: Self.fullFile, file: "usher.yaml")
        let expected = BalancerConfig(
            interfaces: [InterfaceConfig(name: "eth0", xdpMode: .generic), InterfaceConfig(name: "veth-lb0", xdpMode: .native)],
            encapsulation: Encapsulation(sourceV4: IPPrefix("198.51.100.64/26"), sourceV6: IPPrefix("2001:db8:2::/112")),
            services: [
                VirtualService(name: "web", vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp, mode: .dsrL2, reals: [
                    RealServer(address: IPAddress("198.51.100.11")!, weight: 2, mac: MACAddress("02:00:00:00:00:11")),
                    RealServer(address: IPAddress("198.51.100.12")!, weight: 0),
                ]),
                VirtualService(name: "dns", vip: IPAddress("203.0.113.53")!, port: 0, proto: .udp, mode: .dsrIPIP,
                               maglevTableSize: 131_071, hashSourceOnly: true, reals: [
                                   RealServer(address: IPAddress("198.51.100.21")!, weight: 1),
                                   RealServer(address: IPAddress("198.51.100.22")!, weight: 1000),
                               ]),
                VirtualService(name: "web6", vip: IPAddress("2001:db8:1::10")!, port: 80, proto: .tcp, mode: .http,
                               l7: L7Settings(rules: [ContentRule(match: RuleMatch(), action: .redirect(Redirect(scheme: "https")))])),
            ]
        )
        #expect(config == expected)
        #expect(config.services[0].maglevTableSize == 65537)
        #expect(config.services[0].hashSourceOnly == false)
    }

    @Test func anEmptyServiceListIsValid() throws {
        let config = try ConfigLoader.parse(yaml: "services: []\n", file: "usher.yaml")
        #expect(config == BalancerConfig())
    }

    @Test func anchorsAliasesAndMergeKeysShareSettings() throws {
        let config = try ConfigLoader.parse(yaml: """
        x-defaults: &l2
          protocol: tcp
          mode: dsr-l2
          hash: source-ip
        x-pool: &pool
          - address: 198.51.100.11
          - address: 198.51.100.12
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            <<: *l2
            reals: *pool
          - name: web-tls
            vip: 203.0.113.10
            port: 443
            <<: *l2
            hash: 5-tuple
            reals: *pool
        """, file: "usher.yaml")
        #expect(config.services.map(\.mode) == [.dsrL2, .dsrL2])
        #expect(config.services.map(\.hashSourceOnly) == [true, false])
        #expect(config.services[1].reals.map(\.address.description) == ["198.51.100.11", "198.51.100.12"])
    }

    @Test func aMergeKeyNeedsAMapping() {
        expectOneError(serviceFile(extra: ["<<: 1"]), line: 7, field: "services[0]",
                       message: "a merge key (<<) takes a mapping or a list of mappings, found \"1\"")
    }

    @Test func loadReadsTheFileAndNamesItInErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("usher-core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let good = dir.appendingPathComponent("good.yaml").path
        try Self.fullFile.write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try ConfigLoader.load(path: good).services.map(\.name) == ["web", "dns", "web6"])

        let bad = dir.appendingPathComponent("bad.yaml").path
        try "services:\n  - name: web\n    vip: 203.0.113.300\n".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect {
            try ConfigLoader.load(path: bad)
        } throws: { error in
            let e = (error as? ConfigErrors)?.errors.first { $0.field == "services[0].vip" }
            return e?.file == bad && e?.line == 3 && e?.column == 10
        }
    }

    @Test func aMissingFileSaysSo() {
        let path = "/nonexistent-\(UUID().uuidString)/usher.yaml"
        #expect {
            try ConfigLoader.load(path: path)
        } throws: { error in
            guard let errors = (error as? ConfigErrors)?.errors, errors.count == 1 else { return false }
            return errors[0].file == path && errors[0].message.hasPrefix("cannot read the config file")
        }
    }

    @Test func anEmptyFileIsAnError() {
        expectOneError("# nothing here\n", line: 1, field: "", message: "the config file is empty")
    }

    @Test func errorsPrintAsFileLineColumnFieldMessageHint() {
        let errors = parseErrors("services:\n  - name: web\n    vip: 203.0.113.300\n")
        let vip = errors.first { $0.field == "services[0].vip" }
        #expect(vip?.description == "usher.yaml:3:10: services[0].vip: \"203.0.113.300\" is not an IP address "
            + "(write an IPv4 address such as 203.0.113.10 or an IPv6 address such as 2001:db8::10)")
        let bare = ConfigError(field: "services[2].name", message: "service name \"a b\" contains a space")
        #expect(bare.description == "services[2].name: service name \"a b\" contains a space")
        let noField = ConfigError(file: "x.yaml", line: 4, column: 2, field: "", message: "YAML syntax error", hint: "fix it")
        #expect(noField.description == "x.yaml:4:2: YAML syntax error (fix it)")
    }

    @Test func everyProblemIsReportedInFileOrder() {
        let errors = parseErrors("""
        services:
          - name: web
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            reals:
              - address: 198.51.100.11
                weight: 5000
          - name: web
            vip: 203.0.113.999
            port: 80
            protocol: sctp
            mode: dsr-l2
          - name: api
            vip: 203.0.113.10
            port: 80
            protocol: tcp
            mode: dsr-l2
            maglev-table-size: 1000
        interfaces:
          - name: this-name-is-far-too-long
        """)
        #expect(errors.map(\.field) == [
            "services[0].reals[0].weight", "services[1].vip", "services[1].protocol",
            "services[2].vip", "services[2].maglev-table-size", "interfaces[0].name",
        ])
        #expect(errors.map(\.line) == [9, 11, 13, 16, 20, 22])
        #expect(errors.allSatisfy { $0.file == "usher.yaml" && $0.hint != nil })
    }
}
