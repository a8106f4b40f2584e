import Foundation
import Testing
@testable import UsherBenchKit
import UsherTestSupport

/// Part 2 (many flows) on small tables: every row runs and its packets are checked to be counted
/// as the event its flows must give (RunCheck throws otherwise), so that a change of the data
/// plane's counting (as SYN-flood protection's ct_confirmed was) breaks this test, not the next
/// benchmark run.
@Suite("Many flows", .serialized)
struct FlowScaleTests {
    @Test("established flows in a fresh table and in full ones (the data plane's and the 4-way candidate's), new flows into a full one: each counted as it must be",
          .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
    func smallRun() throws {
        var bench = FlowScale()
        bench.tableSizes = [20_000]
        bench.agedSizes = [20_000]
        bench.candidateFlows = 20_000
        bench.rounds = 1
        bench.iterations = 20_000
        Progress.quiet = true
        defer { Progress.quiet = false }
        let result = try bench.run()
        #expect(result.established.map(\.label) == [
            "established flows, 20000 tracked", "established flows, 20000 tracked, table full before",
            "established flows, 20000 tracked, table full before",
            "established flows, 20000 tracked, 4-way set-associative candidate, table of 1048576 full before",
        ])
        #expect(result.established.map(\.aged) == [false, true, true, nil])
        // At 1% of the data plane's table and 2% of the candidate's no set fills with the run's
        // own flows: every packet finds its flow (a table that lost or never made its entries,
        // or a full one whose fillers were not the oldest, would not).
        #expect(result.established.compactMap(\.found) == [1, 1, 1, 1])
        let new = try #require(result.newFlows)
        #expect(new.event == "ct_confirmed")
        for row in result.established + [new] {
            #expect(row.ownNs.median > 0, "\(row.label): no cost measured")
        }
        let text = ReportText.flows(result)
        #expect(text.contains("| established flows, 20000 tracked, table full before (flows found: 100.00%) |"))
        #expect(text.contains("4-way set-associative candidate, table of 1048576 full before (flows found: 100.00%) |"))
    }
}
