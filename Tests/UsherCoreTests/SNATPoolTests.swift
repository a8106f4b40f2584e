import Testing
@testable import UsherCore

/// What an SNAT pool may hold: 1 to 16 addresses of one family, each in one pool and neither
/// a VIP nor a real server; a unique name; a port range that gives every CPU some ports.
@Suite struct SNATPoolTests {
    /// A dsr-l2 service (VIP 203.0.113.10, real 198.51.100.11 on line 8) followed by
    /// `snat-pools:` on line 9 and `pool` from line 10.
    static func poolFile(_ pool: [String]) -> String {
        serviceFile() + (["snat-pools:"] + pool.map { "  \($0)" }).joined(separator: "\n") + "\n"
    }

    @Test func anEmptyPool() {
        expectOneError(Self.poolFile(["- name: p", "  addresses: []"]), line: 11, column: 5, field: "snat-pools[0].addresses",
                       message: "SNAT pool p has no address", hint: "list 1 to 16 addresses of this balancer")
    }

    @Test func seventeenAddresses() {
        let addresses = (1...17).map { "198.51.100.\(100 + $0)" }.joined(separator: ", ")
        expectOneError(Self.poolFile(["- name: p", "  addresses: [\(addresses)]"]), line: 11, column: 5,
                       field: "snat-pools[0].addresses", message: "SNAT pool p has 17 addresses; a pool holds at most 16",
                       hint: "split them over several pools")
    }

    @Test func sixteenAddressesAreFine() throws {
        let addresses = (1...16).map { "198.51.100.\(100 + $0)" }.joined(separator: ", ")
        #expect(try ConfigLoader.parse(yaml: Self.poolFile(["- name: p", "  addresses: [\(addresses)]"]), file: "f")
            .snatPools[0].addresses.count == 16)
    }

    @Test func addressProblems() {
        let errors = parseErrors(Self.poolFile([
            "- name: p",
            "  addresses:",
            "    - 198.51.100.3",
            "    - 2001:db8:2::3", // 13: the other family
            "    - 198.51.100.3", // 14: twice in a pool
            "    - 203.0.113.10", // 15: the VIP
            "    - 198.51.100.11", // 16: a real
            "    - 127.0.0.2", // 17: loopback
            "- name: q",
            "  addresses: [198.51.100.3]", // 19: in another pool
        ]))
        #expect(errors.map(\.line) == [13, 14, 15, 16, 17, 19])
        #expect(errors.allSatisfy { $0.column == ($0.line == 19 ? 17 : 9) }, "\(errors)")
        #expect(errors.map(\.field) == (1...5).map { "snat-pools[0].addresses[\($0)]" } + ["snat-pools[1].addresses[0]"])
        #expect(errors.map(\.message) == [
            "IPv6 address 2001:db8:2::3 in a pool whose first address 198.51.100.3 is IPv4",
            "198.51.100.3 is already listed at snat-pools[0].addresses[0] (line 12)",
            "203.0.113.10 is also the VIP at services[0].vip (line 3)",
            "198.51.100.11 is also a real server of service web, at services[0].reals[0].address (line 8)",
            "127.0.0.2 is a loopback address and cannot be an SNAT address",
            "198.51.100.3 is already in SNAT pool p at snat-pools[0].addresses[0] (line 12)",
        ])
        #expect(errors[0].hint == "a pool holds one family: put IPv6 addresses in a pool of their own")
        #expect(errors[5].hint?.contains("each CPU owns its share of an address's ports") == true)
    }

    @Test func poolNames() {
        let errors = parseErrors(Self.poolFile([
            "- name: p", "  addresses: [198.51.100.3]",
            "- name: p", "  addresses: [198.51.100.4]",
            "- name: \"p q\"", "  addresses: [198.51.100.5]",
        ]))
        #expect(errors.map(\.line) == [12, 14])
        #expect(errors.map(\.message) == [
            "SNAT pool name \"p\" is already used at snat-pools[0].name (line 10)",
            "SNAT pool name \"p q\" contains a space",
        ])
    }

    @Test(arguments: [
        ("0-100", "ports 0-100 start at port 0, which is no source port", "start at 1 or above; the default is 1024-65535"),
        ("3000-2000", "ports 3000-2000 start above their end", "write 2000-3000"),
    ])
    func badRanges(ports: String, message: String, hint: String) {
        expectOneError(Self.poolFile(["- name: p", "  addresses: [198.51.100.3]", "  ports: \(ports)"]), line: 12, column: 12,
                       field: "snat-pools[0].ports", message: message, hint: hint)
    }

    /// Each CPU allocates from its own share of the range; fewer ports than CPUs leaves a CPU
    /// none (every new flow it receives would be dropped), so such a range is refused.
    @Test func aRangeSmallerThanTheCPUCount() throws {
        let pool = SNATPool(name: "p", addresses: [IPAddress("198.51.100.3")!], ports: PortRange(lower: 2000, upper: 2002))
        let config = BalancerConfig(snatPools: [pool])
        #expect(ConfigValidator.issues(config, cpus: 3).isEmpty)
        let issues = ConfigValidator.issues(config, cpus: 4)
        #expect(issues.map(\.path.description) == ["snat-pools[0].ports"])
        #expect(issues.map(\.message) == ["ports 2000-2002 hold 3 ports for 4 CPUs, leaving a CPU without any"])
        #expect(issues.map(\.hint) == [
            "give at least 4 ports: each CPU allocates from its own 1/4 of the range; the default is 1024-65535",
        ])
        // From a file, against this host's CPUs (the data plane's count: possible CPUs).
        let cpus = ConfigValidator.possibleCPUCount
        try #require(cpus >= 2, "this host has a single CPU; a one-port range is fine there")
        expectOneError(Self.poolFile(["- name: p", "  addresses: [198.51.100.3]", "  ports: 2000-2000"]), line: 12,
                       field: "snat-pools[0].ports", message: "ports 2000-2000 hold 1 port for \(cpus) CPUs, leaving a CPU without any")
    }

    @Test(arguments: [("0-1", 2), ("0", 1), ("0-3,8-11\n", 8), ("", nil), ("0-x", nil), ("3-1", nil)] as [(String, Int?)])
    func cpuLists(text: String, count: Int?) {
        #expect(ConfigValidator.cpuCount(inList: text) == count)
    }
}
