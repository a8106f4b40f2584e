import CUsherABI
import Testing
@testable import UsherBenchKit
import UsherBPF
import UsherCore
import UsherTestSupport

/// Part 1's NAT paths: the frames they feed (checksums a NAT path updates incrementally), the
/// config they need, and, against the kernel, that each is measured on the path it names.
struct XDPCostNATFrameTests {
    static let natIDs = ["first-nat", "established-nat", "reply-nat", "first-gateway", "established-gateway", "reply-gateway"]

    @Test("the nat and gateway services and their SNAT pools pass the validator (the L7 service has no pools: XDP only passes it)")
    func configIsValid() {
        let nat = BalancerConfig(services: XDPCostCases.natServices, snatPools: XDPCostCases.snatPools)
        #expect(ConfigValidator.validate(nat).isEmpty, "\(ConfigValidator.validate(nat))")
        let all = XDPCostCases.config
        #expect(all.services.filter { $0.mode.isNAT }.count == 4 && all.snatPools.count == 2)
    }

    @Test("every NAT path is a case in both families, and nothing is left pending")
    func natCasesListed() {
        let ids = Set(XDPCostCases.cases.map(\.id))
        for id in Self.natIDs {
            #expect(ids.contains("\(id)-v4") && ids.contains("\(id)-v6"), "\(id)")
        }
        #expect(XDPCostCases.pending.isEmpty)
        #expect(ids.count == XDPCostCases.cases.count, "case ids are unique")
    }

    @Test("every case's frame has valid IPv4 and TCP checksums")
    func checksums() {
        for c in XDPCostCases.cases {
            #expect(BenchFrames.checksumsValid(c.frame), "\(c.id)")
        }
        var broken = XDPCostCases.cases[0].frame
        broken[broken.count - 1] ^= 0x01
        #expect(!BenchFrames.checksumsValid(broken), "a flipped payload bit is caught")
    }

    @Test("a real's reply swaps the addresses, ports and MACs of what it was sent, with valid checksums")
    func replyFrame() throws {
        for (real, snat) in [("198.51.100.21", "198.51.100.203"), ("2001:db8:2::21", "2001:db8:2::5:3")] {
            let sent = BenchFrames.tcp(from: IPAddress(snat)!, 41873, to: IPAddress(real)!, 8080,
                                       srcMAC: BenchFrames.balancerMAC, dstMAC: XDPCostCases.mac(0x21))
            let reply = try #require(BenchFrames.reply(to: sent))
            #expect(BenchFrames.endpoints(of: reply) == .init(source: IPAddress(real)!, sourcePort: 8080,
                                                              destination: IPAddress(snat)!, destinationPort: 41873))
            #expect(Array(reply[0..<6]) == BenchFrames.balancerMAC.bytes && Array(reply[6..<12]) == XDPCostCases.mac(0x21).bytes)
            #expect(BenchFrames.checksumsValid(reply))
        }
    }

    @Test("new nat flows of all rounds take at most a quarter of one CPU's share of the SNAT pool")
    func natFlowBudget() {
        let share = 16 * (64512 / 2)
        #expect(XDPCostCases.natFlowsPerRound(rounds: 9, cpus: 2) == UInt32(share / 4 / 9))
        #expect(XDPCostCases.natFlowsPerRound(rounds: 3, cpus: 64) == UInt32(16 * (64512 / 64) / 4 / 3))
        #expect(XDPCostCases.possibleCPUs() >= 1)
    }
}

/// The NAT cases run through the wrapper and the checks, as part 1 runs them (fewer packets).
@Suite("Benchmark NAT paths", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct XDPCostNATRunTests {
    static func natCases(_ family: Int) -> [XDPCostCase] {
        XDPCostCases.cases.filter { c in c.family == family && XDPCostNATFrameTests.natIDs.contains { c.id == "\($0)-v\(family)" } }
    }

    @Test("each NAT case passes the checks: verdict, frame, every packet counted under its reason and event",
          arguments: [4, 6])
    func natCasesPassTheChecks(family: Int) throws {
        let lab = try WrapperTests.Lab()
        let cost = XDPCost(rounds: 1, iterations: 2000)
        let cases = Self.natCases(family)
        #expect(cases.count == 6)
        for c in cases {
            let measured = try cost.setUp(c, bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
            let (run, _) = try cost.measure(measured, bench: lab.bench, dataplane: lab.dataplane, iterations: 2000, first: 0)
            let out = try #require(BenchFrames.endpoints(of: run.output), "\(c.id)")
            switch c.path {
            case .natReply:
                #expect(measured.frame != c.frame, "\(c.id): the reply, not the client's packet, is measured")
                #expect(out == c.delivers, "\(c.id)")
            case .natForward where c.id.contains("-nat-"):
                let pool = XDPCostCases.snatPools[family == 4 ? 0 : 1].addresses
                #expect(pool.contains(out.source) && out.destinationPort == XDPCostCases.natRealPort, "\(c.id): \(out)")
                #expect(BenchFrames.checksumsValid(run.output), "\(c.id)")
            case .natForward:
                #expect(out.source == (family == 4 ? XDPCostCases.client4 : XDPCostCases.client6) && out.sourcePort == 40000,
                        "\(c.id): gateway keeps the client's source: \(out)")
                #expect(BenchFrames.checksumsValid(run.output), "\(c.id)")
            default:
                #expect(c.flow == .newEveryIteration, "\(c.id)")
            }
        }
    }

    @Test("the aged NAT cases run on private tables that were filled from every CPU and emptied: their flows land there, none in the data plane's")
    func agedNATTables() throws {
        let lab = try WrapperTests.Lab()
        let aged = XDPCostCases.cases.filter { $0.table?.nat == true }
        #expect(Set(aged.map(\.id)) == ["first-nat-v4-aged", "first-gateway-v4-aged"])
        var cost = XDPCost(rounds: 1, iterations: 1000)
        cost.cases = aged
        let tables = try cost.privateTables(bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
        let table = try #require(aged.first?.table)
        let bench = try #require(tables[table])
        #expect(try bench.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self).isEmpty, "emptied after ageing")
        for c in aged {
            let (run, _) = try cost.measure(c, bench: bench, dataplane: lab.dataplane, iterations: 1000, first: 0)
            #expect(run.verdict == .tx, "\(c.id)")
        }
        #expect(try bench.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self).count == 2000)
        #expect(try bench.natReplies.entries(as: (usher_flow_key, usher_nat_reply).self).count == 2000)
        #expect(try lab.bench.natFlows.entries(as: (usher_flow_key, usher_nat_flow).self).isEmpty, "the data plane's tables are untouched")
    }

    @Test("an aged NAT table that was not full before it was emptied is refused: its first packets would be a fresh table's")
    func unfilledAgeingRefused() throws {
        #expect(throws: BenchCheckError.self) { try XDPCost.checkAged(0, "the NAT table", capacity: 4096) }
        let error = #expect(throws: BenchCheckError.self) { try XDPCost.checkAged(2048, "the reply table", capacity: 4096) }
        #expect(error?.description == "xdp-cost: ageing left the reply table at 2048 of 4096 entries before emptying it, not full")
        try XDPCost.checkAged(4096, "the NAT table", capacity: 4096)
        try XDPCost.checkAged(4060, "the NAT table", capacity: 4096) // a few left on CPUs' free lists
    }

    @Test("a reply case whose output is not addressed as expected is refused")
    func wrongAddressingIsRefused() throws {
        let lab = try WrapperTests.Lab()
        let cost = XDPCost(rounds: 1, iterations: 100)
        var c = try #require(XDPCostCases.cases.first { $0.id == "reply-nat-v4" })
        c.delivers?.destinationPort = 40001
        let measured = try cost.setUp(c, bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
        let error = #expect(throws: BenchCheckError.self) {
            _ = try cost.measure(measured, bench: lab.bench, dataplane: lab.dataplane, iterations: 100, first: 0)
        }
        #expect(error?.description.contains("192.0.2.7:40000, not 203.0.113.14:80 → 192.0.2.7:40001") == true,
                "\(error?.description ?? "")")
    }
}
