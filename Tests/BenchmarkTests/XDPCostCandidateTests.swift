import CUsherABI
import CUsherBench
import Testing
@testable import UsherBenchKit
import UsherBPF
import UsherCore
import UsherTestSupport

/// The set-associative flow-table candidate (Benchmarks/BPF/usher_cand_sa.c) is checked by the
/// harness as the balancer is (verdict, frame byte for byte, counters) before its figures count.
@Suite("Benchmark flow-table candidates", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct XDPCostCandidateTests {
    @Test("a set-associative candidate runs the balancer's dsr path on tables of its own: its flows land there and none in the data plane's, and a full table stays full as new flows replace old ones",
          arguments: [XDPCostCase.Table.LRU.setAssociative, .tagged])
    func setAssociativeCandidate(_ lru: XDPCostCase.Table.LRU) throws {
        let lab = try WrapperTests.Lab()
        let cases = XDPCostCases.cases.filter { $0.table?.lru == lru }
        #expect(Set(cases.map(\.id)) == Set(["dsr-l2", "dsr-ipip"].flatMap { mode in
            ["fresh", "aged"].flatMap { ["first-\(mode)-v4-\($0)-\(lru.rawValue)", "established-\(mode)-v4-\($0)-\(lru.rawValue)"] }
        }))
        var cost = XDPCost(rounds: 1, iterations: 1000)
        cost.cases = cases
        let tables = try cost.privateTables(bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
        let fresh = try #require(tables[.init(lru: lru, state: .fresh)])
        let full = try #require(tables[.init(lru: lru, state: .aged)])
        let capacity = Int(USHER_CONNTRACK_DEFAULT_ENTRIES)
        #expect(try fresh.setAssociativeHeld() == 0)
        #expect(try full.setAssociativeHeld() == capacity, "filled: every way of every set")

        var first: UInt64 = 0
        for c in cases {
            let table = try #require(c.table)
            let bench = try #require(tables[table])
            let measured = try cost.setUp(c, bench: bench, dataplane: lab.dataplane, state: lab.state)
            let (run, _) = try cost.measure(measured, bench: bench, dataplane: lab.dataplane, iterations: 1000, first: first)
            #expect(run.verdict == .tx, "\(c.id)")
            first += 1000
        }
        // Two modes of 1000 new flows each, and the two established flows (one per mode; the
        // measured runs of each and the checks' single packets find them again).
        #expect(try fresh.setAssociativeHeld() == 2002)
        #expect(try full.setAssociativeHeld() == capacity, "a new flow replaced a way: the table stays full")
        #expect(try lab.bench.conntrack.entries(as: (usher_flow_key, usher_flow).self).isEmpty,
                "the data plane's LRU table is untouched")
    }

    @Test("a bench of the balancer has no set-associative table to fill")
    func balancerHasNoCandidateTable() throws {
        let lab = try WrapperTests.Lab()
        #expect(throws: BPFError.self) { try lab.bench.fillSetAssociative() }
        #expect(try lab.bench.setAssociativeHeld() == 0)
    }
}
