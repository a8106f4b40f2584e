import Testing
@testable import UsherCore

/// What the robustness suite found accepted (issue 11, defect 3): one strict parser for
/// addresses, prefixes and MACs, and one rule for what a VIP, a real or a source may be.
@Suite struct StrictValueTests {
    @Test(arguments: ["2001:db8:100::+12", "2001:db8:100:-0::12", "2001:db8:100::0x12", "203.0.113.+1", "٢٠٣.0.113.10"])
    func signsAndForeignDigitsAreNoAddress(_ text: String) {
        #expect(IPAddress(text) == nil)
        expectOneError(serviceFile(vip: text), line: 3, field: "services[0].vip", message: "is not an IP address")
    }

    @Test(arguments: ["+2:00:00:02:00:11", "02:00:00:02:00:+1", "-2:00:00:02:00:11"])
    func signedMACsAreNoMAC(_ text: String) {
        #expect(MACAddress(text) == nil)
        expectOneError(serviceFile(reals: ["- address: 198.51.100.11", "  mac: \"\(text)\""]), line: 9,
                       field: "services[0].reals[0].mac", message: "is not a MAC address")
    }

    @Test(arguments: ["+24", "024", "-0", "24 "])
    func prefixLengthsAreDigitsOnly(_ length: String) {
        #expect(IPPrefix("198.51.100.64/\(length)") == nil)
    }

    @Test func aTaggedPortIsRefused() {
        expectOneError(serviceFile(port: "!!binary ODA="), line: 4, field: "services[0].port",
                       message: "carries the YAML tag tag:yaml.org,2002:binary")
    }

    @Test(arguments: [
        ("255.255.255.255", "limited broadcast"),
        ("240.0.0.10", "reserved 240.0.0.0/4"),
        ("0.1.2.3", "0.0.0.0/8"),
        ("224.0.0.10", "multicast"),
        ("ff02::1", "multicast"),
        ("::ffff:203.0.113.10", "IPv4-mapped"),
    ])
    func addressesThatCanNeverBeAVIP(_ vip: String, _ why: String) {
        let errors = parseErrors(serviceFile(vip: vip, reals: [vip.contains(":") ? "- address: 2001:db8:2::11" : "- address: 198.51.100.11"]))
        #expect(errors.contains { $0.field == "services[0].vip" && $0.message.contains(why) }, "\(errors)")
    }

    @Test(arguments: ["255.255.255.255", "240.0.0.11", "::ffff:198.51.100.11"])
    func addressesThatCanNeverBeAReal(_ real: String) {
        let vip = real.contains(":") ? "2001:db8:100::10" : "203.0.113.10"
        let errors = parseErrors(serviceFile(vip: vip, reals: ["- address: \"\(real)\""]))
        #expect(errors.contains { $0.field == "services[0].reals[0].address" }, "\(errors)")
    }

    @Test(arguments: ["128.0.0.0/1", "0.0.0.0/1", "192.0.0.0/2"])
    func encapsulationPrefixesThatReachBadAddresses(_ prefix: String) {
        let errors = parseErrors(serviceFile(before: "encapsulation:\n  source-v4: \(prefix)\n"))
        #expect(errors.map(\.field) == ["encapsulation.source-v4"], "\(errors)")
    }

    @Test func aPlainEncapsulationPrefixStillPasses() throws {
        let config = try ConfigLoader.parse(yaml: serviceFile(before: "encapsulation:\n  source-v4: 198.51.100.64/26\n"), file: "usher.yaml")
        #expect(config.encapsulation.sourceV4?.description == "198.51.100.64/26")
    }
}
