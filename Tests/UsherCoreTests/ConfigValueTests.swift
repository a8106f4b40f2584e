import Testing
@testable import UsherCore

/// Values that cannot be what their field says: addresses, prefixes, MACs, ports, words.
@Suite struct ConfigValueTests {
    @Test func aBadVIP() {
        expectOneError(serviceFile(vip: "203.0.113.300"), line: 3, column: 10, field: "services[0].vip",
                       message: "\"203.0.113.300\" is not an IP address", hint: "203.0.113.10")
    }

    @Test func aVIPWrittenAsAPrefix() {
        expectOneError(serviceFile(vip: "203.0.113.10/32"), line: 3, field: "services[0].vip",
                       message: "is a prefix, not an address", hint: "without /32")
    }

    @Test func aBadRealAddress() {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.1.1"]), line: 8, field: "services[0].reals[0].address",
                       message: "\"198.51.100.1.1\" is not an IP address")
    }

    @Test func badPrefixes() {
        let errors = parseErrors(serviceFile(before: """
        encapsulation:
          source-v4: 198.51.100.64/33
          source-v6: 2001:db8:2::/x
        """))
        #expect(errors.map(\.field) == ["encapsulation.source-v4", "encapsulation.source-v6"])
        #expect(errors.map(\.line) == [10, 11])
        #expect(errors[0].message == "\"33\" is not a prefix length for an IPv4 address")
        #expect(errors[0].hint == "use 0 to 32, e.g. 198.51.100.64/26")
        #expect(errors[1].message == "\"x\" is not a prefix length for an IPv6 address")
    }

    @Test func anEncapsulationPrefixOfTheWrongFamily() {
        expectOneError(serviceFile(before: "encapsulation:\n  source-v4: 2001:db8:2::/112\n"), line: 10,
                       field: "encapsulation.source-v4", message: "source-v4 must be an IPv4 prefix", hint: "under source-v6")
    }

    @Test func anEncapsulationPrefixWithHostBits() {
        expectOneError(serviceFile(before: "encapsulation:\n  source-v4: 198.51.100.65/26\n"), line: 10,
                       field: "encapsulation.source-v4", message: "198.51.100.65/26 has host bits set", hint: "write 198.51.100.64/26")
    }

    @Test func aBadMAC() {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "  mac: 02:00:00:00:11"]), line: 9,
                       field: "services[0].reals[0].mac", message: "\"02:00:00:00:11\" is not a MAC address", hint: "02:00:00:00:00:11")
    }

    @Test func aMACIsWrittenInLowerCaseHexPairs() {
        #expect(MACAddress("02:AB:0c:00:F0:ff")?.description == "02:ab:0c:00:f0:ff")
        #expect(MACAddress(bytes: [0, 1, 2, 0xfe, 0x10, 0xff])?.description == "00:01:02:fe:10:ff")
    }

    @Test func aMulticastMACIsNoNextHop() {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "  mac: 01:00:5e:00:00:01"]), line: 9,
                       field: "services[0].reals[0].mac", message: "01:00:5e:00:00:01 is not a unicast MAC address")
    }

    @Test(arguments: [
        ("70000", "port 70000 is out of range", "use 1 to 65535"),
        ("0", "port 0 is out of range", "\"*\" (quoted) for every port"),
        ("-1", "port -1 is out of range", "use 1 to 65535"),
        ("http", "\"http\" is not a port number", "e.g. 80"),
        ("\"8*\"", "\"8*\" is not a port; \"*\" stands alone", "for every port"),
        ("80-90", "port ranges such as \"80-90\" are not supported", "use one port"),
        ("[80, 81]", "expected a port, found a list", "use 1 to 65535"),
    ])
    func badPorts(port: String, message: String, hint: String) {
        expectOneError(serviceFile(port: port), line: 4, field: "services[0].port", message: message, hint: hint)
    }

    @Test func quotedAsteriskAndQuotedNumbersArePorts() throws {
        #expect(try ConfigLoader.parse(yaml: serviceFile(port: "\"*\""), file: "f").services[0].port == 0)
        #expect(try ConfigLoader.parse(yaml: serviceFile(port: "'443'"), file: "f").services[0].port == 443)
    }

    @Test(arguments: [("quic", "write tcp or udp"), ("tpc", "did you mean \"tcp\"?"), ("TCP", "did you mean \"tcp\"?")])
    func unknownProtocols(value: String, hint: String) {
        expectOneError(serviceFile(proto: value), line: 5, field: "services[0].protocol",
                       message: "unknown protocol \"\(value)\"", hint: hint)
    }

    @Test(arguments: [("dsr", "did you mean \"dsr-l2\"?"), ("dsr-ipipp", "did you mean \"dsr-ipip\"?"),
                      ("fullnat", "did you mean \"nat\"?"), ("masq", "did you mean \"gateway\"?"),
                      ("gatway", "did you mean \"gateway\"?"),
                      ("proxy", "write dsr-l2, dsr-ipip, http, https, nat or gateway")])
    func unknownModes(value: String, hint: String) {
        expectOneError(serviceFile(mode: value), line: 6, field: "services[0].mode", message: "unknown mode \"\(value)\"", hint: hint)
    }

    @Test func anUnknownHash() {
        expectOneError(serviceFile(extra: ["hash: src-ip"]), line: 7, field: "services[0].hash",
                       message: "unknown hash \"src-ip\"", hint: "did you mean \"source-ip\"?")
    }

    @Test(arguments: [("1001", "weight 1001 is above 1000"), ("-1", "weight -1 is below 0"),
                      ("1.5", "weight \"1.5\" is not a whole number"), ("heavy", "weight \"heavy\" is not a whole number")])
    func badWeights(value: String, message: String) {
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "  weight: \(value)"]), line: 9,
                       field: "services[0].reals[0].weight", message: message, hint: "use 0 (drain) to 1000")
    }

    @Test(arguments: [
        ("65536", "65536 is not a prime", "use 65537"),
        ("5", "5 is outside 7…1048573", "e.g. 7"),
        ("2000000", "2000000 is outside 7…1048573", "e.g. 1048573"),
        ("-3", "-3 is outside 7…1048573", "e.g. 7"),
        ("big", "maglev-table-size \"big\" is not a whole number", "65537"),
        ("99999999999999999999", "maglev-table-size 99999999999999999999 is far out of range", "65537"),
    ])
    func badTableSizes(value: String, message: String, hint: String) {
        expectOneError(serviceFile(extra: ["maglev-table-size: \(value)"]), line: 7, field: "services[0].maglev-table-size",
                       message: message, hint: hint)
    }

    @Test func aTableSmallerThanTheReals() {
        let reals = (1...8).map { "- address: 198.51.100.\($0)" }
        expectOneError(serviceFile(extra: ["maglev-table-size: 7"], reals: reals), line: 7, field: "services[0].maglev-table-size",
                       message: "a table of 7 slots cannot hold 8 reals", hint: "e.g. 809")
    }

    @Test(arguments: [
        ("my web", "service name \"my web\" contains a space"),
        ("\"\"", "the service name is empty"),
        (String(repeating: "a", count: 64), "is 64 characters long, more than 63"),
        ("web/1", "service name \"web/1\" contains '/'"),
    ])
    func badServiceNames(name: String, message: String) {
        expectOneError(serviceFile(name: name), line: 2, field: "services[0].name", message: message, hint: "letters, digits")
    }

    @Test func aServiceNameOf63AllowedCharactersIsFine() throws {
        let name = "Web_1.prod-" + String(repeating: "x", count: 52)
        #expect(try ConfigLoader.parse(yaml: serviceFile(name: name), file: "f").services[0].name == name)
    }

    @Test(arguments: [
        ("\"\"", "the interface name is empty"),
        ("veth-much-too-long", "is longer than 15 bytes"),
        ("eth0/1", "contains '/'"),
        ("\"eth 0\"", "contains a space"),
    ])
    func badInterfaceNames(name: String, message: String) {
        expectOneError(serviceFile(before: "interfaces:\n  - name: \(name)\n"), line: 10, field: "interfaces[0].name",
                       message: message, hint: "ip link")
    }

    @Test func anUnknownXDPMode() {
        expectOneError(serviceFile(before: "interfaces:\n  - name: eth0\n    xdp-mode: skb\n"), line: 11,
                       field: "interfaces[0].xdp-mode", message: "unknown xdp-mode \"skb\"", hint: "did you mean \"generic\"?")
    }
}
