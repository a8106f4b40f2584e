import CUsherABI
import CUsherBench
import Testing
@testable import UsherBenchKit
import UsherBPF
import UsherCore
import UsherTestSupport

/// The set-associative flow-table candidate (Benchmarks/BPF/usher_cand_sa.c) is checked by the
/// harness as the balancer is (verdict, frame byte for byte, counters) before its figures count;
/// so is the balancer on a private flow table in the long-running state (full).
@Suite("Benchmark flow-table candidates", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct XDPCostCandidateTests {
    @Test("the 4-way candidate runs the balancer's dsr path on a table of its own: its flows land there and none in the data plane's, and a full table stays full as new flows replace old ones")
    func setAssociativeCandidate() throws {
        let lab = try WrapperTests.Lab()
        let kind = XDPCostCase.Table.Kind.setAssociative
        let cases = XDPCostCases.cases.filter { $0.table?.kind == kind }
        #expect(Set(cases.map(\.id)) == Set(["dsr-l2", "dsr-ipip"].flatMap { mode in
            ["fresh", "aged"].flatMap { ["first-\(mode)-v4-\($0)-\(kind.rawValue)", "established-\(mode)-v4-\($0)-\(kind.rawValue)"] }
        }))
        var cost = XDPCost(rounds: 1, iterations: 1000)
        cost.cases = cases
        let tables = try cost.privateTables(bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
        let fresh = try #require(tables[.init(kind: kind, state: .fresh)])
        let full = try #require(tables[.init(kind: kind, state: .aged)])
        let capacity = Int(USHER_CAND_SA_SETS) * Int(USHER_CAND_SA_WAYS)
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
        #expect(lab.bench.conntrackEntries() == 0, "the data plane's flow table is untouched")
    }

    @Test("the balancer's cases on a private flow table in the long-running state: full before, full after, every flow found, the pinned table untouched")
    func productTableFullBefore() throws {
        let lab = try WrapperTests.Lab()
        let cases = XDPCostCases.cases.filter { $0.table == .init(kind: .product, state: .aged) }
        #expect(Set(cases.map(\.id)) == Set(["dsr-l2", "dsr-ipip"].flatMap { ["first-\($0)-v4-aged", "established-\($0)-v4-aged"] }))
        var cost = XDPCost(rounds: 1, iterations: 1000)
        cost.cases = cases
        let tables = try cost.privateTables(bench: lab.bench, dataplane: lab.dataplane, state: lab.state)
        let full = try #require(tables[.init(kind: .product, state: .aged)])
        #expect(full.flows.occupiedWays() == FlowTable.ways, "filled: every way of every set")
        var first: UInt64 = 0
        for c in cases {
            let measured = try cost.setUp(c, bench: full, dataplane: lab.dataplane, state: lab.state)
            // measure checks every packet's verdict and counter: ct_confirmed (a way written) or ct_hit.
            let (run, _) = try cost.measure(measured, bench: full, dataplane: lab.dataplane, iterations: 1000, first: first)
            #expect(run.verdict == .tx, "\(c.id)")
            first += 1000
        }
        #expect(full.flows.occupiedWays() == FlowTable.ways, "a new flow replaced a way: the table stays full")
        #expect(full.conntrackEntries() == FlowTable.ways, "the fillers and the run's flows: every way holds one")
        #expect(lab.bench.conntrackEntries() == 0, "the data plane's flow table is untouched")
    }

    @Test("a bench of the balancer has no set-associative table to fill")
    func balancerHasNoCandidateTable() throws {
        let lab = try WrapperTests.Lab()
        #expect(throws: BPFError.self) { try lab.bench.fillSetAssociative() }
        #expect(try lab.bench.setAssociativeHeld() == 0)
    }
}
