import Testing
@testable import UsherCore

/// Mistakes that are only visible across fields: duplicates, clashes, modes missing what they
/// need, addresses that can never be reached.
@Suite struct ConfigConsistencyTests {
    static let twoServices = """
    services:
      - name: web
        vip: 203.0.113.10
        port: 80
        protocol: tcp
        mode: dsr-l2
        reals:
          - address: 198.51.100.11
            mac: 02:00:00:00:00:11
      - name: NAME
        vip: VIP
        port: 80
        protocol: tcp
        mode: dsr-l2
        reals:
          - address: 198.51.100.11
            mac: MAC
    """

    static func two(name: String = "api", vip: String = "203.0.113.11", mac: String = "02:00:00:00:00:11") -> String {
        twoServices.replacingOccurrences(of: "NAME", with: name).replacingOccurrences(of: "VIP", with: vip)
            .replacingOccurrences(of: "MAC", with: mac)
    }

    @Test func theTemplateIsValid() throws {
        #expect(try ConfigLoader.parse(yaml: Self.two(), file: "f").services.count == 2)
    }

    @Test func aDuplicateServiceNameNamesBothLines() {
        expectOneError(Self.two(name: "web"), line: 10, field: "services[1].name",
                       message: "service name \"web\" is already used at services[0].name (line 2)", hint: "its own name")
    }

    @Test func aDuplicateServiceNamesBothLines() {
        expectOneError(Self.two(vip: "203.0.113.10"), line: 11, field: "services[1].vip",
                       message: "service 203.0.113.10:80/tcp is already defined at services[0].vip (line 3)", hint: "merge the two")
    }

    @Test func theSameVIPAndPortWithAnotherProtocolIsAnotherService() throws {
        let config = try ConfigLoader.parse(yaml: """
        services:
          - {name: web, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2}
          - {name: quic, vip: 203.0.113.10, port: 80, protocol: udp, mode: dsr-l2}
          - {name: all, vip: 203.0.113.10, port: "*", protocol: tcp, mode: dsr-l2}
        """, file: "f")
        #expect(config.services.map(\.key.description) == ["203.0.113.10:80/tcp", "203.0.113.10:80/udp", "203.0.113.10:*/tcp"])
    }

    @Test func aRealTwiceInOneService() {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "- address: 198.51.100.12", "- address: 198.51.100.11"]),
                       line: 10, field: "services[0].reals[2].address",
                       message: "real 198.51.100.11 is already listed at services[0].reals[0].address (line 8)", hint: "larger weight")
    }

    @Test func oneRealWithTwoMACsInTwoServices() {
        expectOneError(Self.two(mac: "02:00:00:00:00:99"), line: 17, field: "services[1].reals[0].mac",
                       message: "real 198.51.100.11 has MAC 02:00:00:00:00:99 here but 02:00:00:00:00:11 at services[0].reals[0].mac (line 9)",
                       hint: "one next-hop MAC")
    }

    @Test func dsrIPIPNeedsASourceForTheVIPFamily() {
        expectOneError(serviceFile(mode: "dsr-ipip"), line: 6, field: "services[0].mode",
                       message: "dsr-ipip for an IPv4 VIP needs encapsulation.source-v4", hint: "source-v4: 198.51.100.64/26")
        // A v6 source does not help a v4 VIP, and the other way round.
        expectOneError(serviceFile(vip: "2001:db8:1::10", mode: "dsr-ipip", reals: ["- address: 2001:db8:5::11"],
                                   before: "encapsulation:\n  source-v4: 198.51.100.64/26\n"),
                       line: 6, field: "services[0].mode", message: "dsr-ipip for an IPv6 VIP needs encapsulation.source-v6",
                       hint: "source-v6: 2001:db8:2::/112")
    }

    @Test func anUnreadableEncapsulationSourceIsReportedOnce() {
        // Not also as "dsr-ipip needs encapsulation.source-v4": the source is there, just wrong.
        expectOneError(serviceFile(mode: "dsr-ipip", before: "encapsulation:\n  source-v4: 198.51.100.64/33\n"), line: 10,
                       field: "encapsulation.source-v4", message: "\"33\" is not a prefix length for an IPv4 address")
    }

    @Test func dsrIPIPRealsMustBeOfTheVIPFamily() {
        expectOneError(serviceFile(mode: "dsr-ipip", reals: ["- address: 198.51.100.11", "- address: 2001:db8:5::11"],
                                   before: "encapsulation:\n  source-v4: 198.51.100.64/26\n"),
                       line: 9, field: "services[0].reals[1].address",
                       message: "IPv6 real 2001:db8:5::11 in a dsr-ipip service with an IPv4 VIP", hint: "IPv4 in IPv4")
    }

    @Test func dsrL2AcceptsRealsOfEitherFamily() throws {
        let yaml = serviceFile(reals: ["- address: 198.51.100.11", "- address: 2001:db8:5::11"])
        #expect(try ConfigLoader.parse(yaml: yaml, file: "f").services[0].reals.count == 2)
    }

    @Test(arguments: ["http", "https"])
    func layer7ModesNeedOnePort(mode: String) throws {
        expectOneError(serviceFile(port: "\"*\"", mode: mode, extra: try l7Extra(mode: mode), reals: []), line: 4, field: "services[0].port",
                       message: "mode \(mode) needs one port, not \"*\"", hint: "the port the proxy listens on")
    }

    @Test func layer7ModesRunOverTCP() throws {
        expectOneError(serviceFile(proto: "udp", mode: "https", extra: try l7Extra(mode: "https"), reals: []), line: 5,
                       field: "services[0].protocol", message: "mode https runs over TCP, not udp")
    }

    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0 is the unspecified address and cannot be a VIP"),
        ("\"::\"", ":: is the unspecified address and cannot be a VIP"),
        ("224.0.0.5", "224.0.0.5 is a multicast address and cannot be a VIP"),
        ("ff02::1", "ff02::1 is a multicast address and cannot be a VIP"),
        ("127.0.0.1", "127.0.0.1 is a loopback address and cannot be a VIP"),
        ("::1", "::1 is a loopback address and cannot be a VIP"),
    ])
    func unreachableVIPs(vip: String, message: String) {
        expectOneError(serviceFile(vip: vip, reals: []), line: 3, field: "services[0].vip", message: message)
    }

    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0 is the unspecified address and cannot be a real server"),
        ("239.1.1.1", "239.1.1.1 is a multicast address and cannot be a real server"),
        ("127.0.0.2", "127.0.0.2 is a loopback address and cannot be a real server"),
    ])
    func unreachableReals(address: String, message: String) {
        expectOneError(serviceFile(reals: ["- address: \(address)"]), line: 8, field: "services[0].reals[0].address", message: message)
    }

    @Test func moreThan4096Services() {
        let services = (1...4097).map { "  - {name: s\($0), vip: 203.0.113.10, port: \($0), protocol: tcp, mode: dsr-l2}" }
        let yaml = "# many\nservices:\n" + services.joined(separator: "\n") + "\n"
        expectOneError(yaml, line: 2, field: "services", message: "4097 services; the data plane holds at most 4096")
    }

    @Test func exactly4096ServicesFit() throws {
        let services = (1...4096).map { "  - {name: s\($0), vip: 203.0.113.10, port: \($0), protocol: tcp, mode: dsr-l2}" }
        #expect(try ConfigLoader.parse(yaml: "services:\n" + services.joined(separator: "\n"), file: "f").services.count == 4096)
    }

    @Test func aDuplicateInterface() {
        expectOneError(serviceFile(before: "interfaces:\n  - name: eth0\n  - name: eth1\n  - name: eth0\n    xdp-mode: generic\n"),
                       line: 12, field: "interfaces[2].name", message: "interface eth0 is listed twice; first at interfaces[0].name (line 10)")
    }

    @Test func indicesInMessagesAreThoseOfTheFileEvenWhenAnEarlierItemIsBroken() {
        // services[0] cannot be read (bad VIP); the duplicate between [1] and [2] must still be
        // reported with the file's indices and lines, not the indices of what could be read.
        let errors = parseErrors("""
        services:
          - {name: a, vip: nope, port: 80, protocol: tcp, mode: dsr-l2}
          - {name: b, vip: 203.0.113.10, port: 80, protocol: tcp, mode: dsr-l2}
          - {name: b, vip: 203.0.113.11, port: 80, protocol: tcp, mode: dsr-l2}
        """)
        #expect(errors.map(\.field) == ["services[0].vip", "services[2].name"])
        #expect(errors.map(\.line) == [2, 4])
        #expect(errors[1].message == "service name \"b\" is already used at services[1].name (line 3)")
    }
}
