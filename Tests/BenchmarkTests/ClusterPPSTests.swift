import Foundation
import Testing
@testable import UsherBenchKit
import UsherTestSupport

/// The cluster part: how the CPUs are shared out, and a small run in the real lab (three
/// balancers behind the kernel's ECMP route) whose figures and report say what happened.
@Suite("Cluster packets per second", .serialized)
struct ClusterPPSTests {
    @Test("a core per balancer while there are cores to spare, the rest for the traffic")
    func cpuPlan() {
        #expect(ClusterPPS.plan([0, 1, 2, 3], balancers: 3) == ([0], [1, 2, 3]))
        #expect(ClusterPPS.plan(Array(0..<8), balancers: 3) == ([0, 1, 2, 3, 4], [5, 6, 7]))
        #expect(ClusterPPS.plan([0, 1, 2], balancers: 3) == ([0], [1, 2, 1]))
        #expect(ClusterPPS.plan([0, 1], balancers: 3) == ([0], [1, 1, 1]))
        #expect(ClusterPPS.plan([3], balancers: 3) == ([3], [3, 3, 3]))
    }

    @Test("1, 2 and 3 balancers: each in the route forwards its share by its own counters, the others nothing",
          .enabled(if: LiveFrames.available, LiveFrames.requirement))
    func smallRun() throws {
        var bench = ClusterPPS()
        bench.rounds = 1
        bench.framesPerRun = 30_000
        bench.flows = 1024
        bench.secondsPerRun = 10
        Progress.quiet = true
        defer { Progress.quiet = false }
        let result = try bench.run()
        #expect(result.rows.map(\.balancers) == [1, 2, 3])
        for row in result.rows {
            let run = try #require(row.runs.first)
            #expect(run.sent == 30_000)
            #expect(run.counted > 0 && run.counted <= run.sent)
            #expect(run.perBalancer.prefix(row.balancers).allSatisfy { $0 > 0 })
            #expect(run.perBalancer.dropFirst(row.balancers).allSatisfy { $0 == 0 })
            #expect(run.evenness > 0.5)
        }
        // The lab is gone, whatever the tag was.
        let left = try FileManager.default.contentsOfDirectory(atPath: "/run/netns").filter { $0.hasPrefix("upps-") && $0.hasSuffix("-router") }
        #expect(left.isEmpty)
        let text = ReportText.cluster(result, cores: result.cpus.count)
        #expect(text.contains("| 3 |"))
        #expect(text.contains("This machine has \(result.cpus.count) cores"))
        // Fewer than four CPUs: the balancers share one, each held to its quota, and the same
        // sizes run again without quotas; no quota group is left behind.
        if Set(result.balancerCpus).count < result.balancerCpus.count {
            #expect(result.budgetPercent == ClusterPPS.defaultBudgetPercent)
            #expect(result.sharedRows?.map(\.balancers) == [1, 2, 3])
            #expect(result.pinning.filter { $0.contains("held to 12% of its CPU") }.count == 3)
            #expect(text.contains("**Without quotas**"))
            #expect(text.contains("which the first table stands in for"))
            if let (root, _) = CPUQuota.controller() {
                let groups = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix("usher-bench-") }
                #expect(groups.isEmpty, "quota groups left: \(groups)")
            }
        }
    }
}
