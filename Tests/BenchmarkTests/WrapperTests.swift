import Testing
import UsherBenchKit
import UsherBPF
import UsherCore
import UsherTestSupport

/// The harness's own correctness: the frame each iteration sees, and the checks that keep a
/// wrong figure out of the report. Against the real kernel (test runs, real maps).
@Suite("Benchmark wrapper", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct WrapperTests {
    static let ipipFrame = BenchFrames.tcp(from: IPAddress("192.0.2.7")!, 40000, to: IPAddress("203.0.113.11")!, 80)

    /// A data plane in a pin directory of its own with the part-1 config applied.
    final class Lab {
        let pins = BenchPins()
        let dataplane: Dataplane
        let state: DataplaneState
        let bench: XDPBench

        init(privateFlows: Bool = false) throws {
            dataplane = try Dataplane(pinDirectory: pins.path)
            state = try dataplane.apply(XDPCostCases.config, previous: nil, resolver: NoResolver())
            bench = try XDPBench(dataplane: dataplane, privateFlows: privateFlows)
        }

        deinit { pins.remove() }
    }

    @Test("every iteration sees the original frame with its own flow, though the program under test mangles it")
    func everyIterationSeesTheOriginal() throws {
        let lab = try Lab()
        let variation = try FlowVariation.sourceFlows(of: Self.ipipFrame, count: nil)
        try lab.bench.prepare(frame: Self.ipipFrame, variation: variation)
        let run = try lab.bench.run(.probe, repeat: 300, firstIteration: 5)
        #expect(run.verdict == .tx)
        #expect(run.output.count == Self.ipipFrame.count + 40, "the probe grew the last frame by 40 bytes")
        let seen = try lab.bench.probeRecords(300)
        for (i, frame) in seen.enumerated() {
            let expected = variation.apply(to: Self.ipipFrame, iteration: UInt64(5 + i))
            #expect(frame == Array(expected.prefix(128)), "iteration \(i)")
        }
        let ports = Set(seen.map { Array($0[34..<36]) })
        #expect(ports.count == 300, "each iteration had a flow of its own")
    }

    @Test("a plain repeat hands the second iteration the frame the first one left")
    func plainRepeatIsTheTrap() throws {
        let lab = try Lab()
        try lab.bench.prepare(frame: Self.ipipFrame)
        _ = try lab.bench.runUnwrapped(.probe, frame: Self.ipipFrame, repeat: 2)
        let seen = try lab.bench.probeRecords(2)
        #expect(seen[0] == Array(Self.ipipFrame.prefix(128)))
        #expect(seen[1] != Array(Self.ipipFrame.prefix(128)))
        #expect(seen[1].prefix(64).allSatisfy { $0 == 0xEE }, "the first iteration's mangling")
    }

    @Test("established dsr-ipip through the wrapper: every packet counted as tx and ct_hit, the last frame as a single packet's")
    func wrappedRunPassesTheChecks() throws {
        let lab = try Lab()
        _ = try lab.bench.runUnwrapped(.balancer, frame: Self.ipipFrame, repeat: 1) // track the flow
        try lab.bench.prepare(frame: Self.ipipFrame)
        let before = try lab.dataplane.readStats()
        let run = try lab.bench.run(.balancer, repeat: 1000)
        let after = try lab.dataplane.readStats()
        let alone = try lab.bench.runUnwrapped(.balancer, frame: Self.ipipFrame, repeat: 1)
        #expect(alone.output.count == Self.ipipFrame.count + 20, "IP-in-IP adds an outer IPv4 header")
        try RunCheck.verify(run, subject: "ipip", verdict: .tx, output: alone.output, before: before, after: after,
                            reason: "tx", event: "ct_hit")
        #expect((after.global["pass_not_l4"]?.packets ?? 0) == (before.global["pass_not_l4"]?.packets ?? 0))
    }

    @Test("the checks refuse a plain repeat of dsr-ipip: its later iterations are counted as pass_not_l4")
    func checksCatchTheTrap() throws {
        let lab = try Lab()
        let before = try lab.dataplane.readStats()
        let run = try lab.bench.runUnwrapped(.balancer, frame: Self.ipipFrame, repeat: 1000)
        let after = try lab.dataplane.readStats()
        #expect(run.verdict == .pass, "the last iteration saw IP-in-IP")
        let error = #expect(throws: BenchCheckError.self) {
            try RunCheck.verify(run, subject: "ipip", verdict: .tx, output: nil, before: before, after: after,
                                reason: "tx", event: nil)
        }
        #expect(error?.description.contains("returned XDP_PASS, not XDP_TX") == true)
        let counted = #expect(throws: BenchCheckError.self) {
            var last = run
            last.verdict = .tx // even were the last verdict right, the counters give it away
            try RunCheck.verify(last, subject: "ipip", verdict: .tx, output: nil, before: before, after: after,
                                reason: "tx", event: nil)
        }
        #expect(counted?.description.contains("1 of 1000 packets counted as tx; the others as pass_not_l4 999") == true)
    }

    @Test("a run whose last frame differs from a single packet's is refused")
    func outputCheck() throws {
        let lab = try Lab()
        try lab.bench.prepare(frame: Self.ipipFrame)
        let run = try lab.bench.run(.floor, repeat: 10)
        #expect(throws: BenchCheckError.self) {
            try RunCheck.verify(run, subject: "floor", verdict: .tx, output: Self.ipipFrame, before: nil, after: nil,
                                reason: nil, event: nil)
        }
        let alone = try lab.bench.runUnwrapped(.floor, frame: Self.ipipFrame, repeat: 1)
        try RunCheck.verify(run, subject: "floor", verdict: .tx, output: alone.output, before: nil, after: nil,
                            reason: nil, event: nil)
        #expect(Array(alone.output[0..<6]) == Array(Self.ipipFrame[6..<12]), "the floor swapped the MACs")
    }

    @Test("tracked flows written by the harness are the ones the data plane finds: 1,000 flows, 1,000 hits")
    func trackedFlowsAreFound() throws {
        let lab = try Lab(privateFlows: true)
        let key = ServiceKey(vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp)
        let frame = BenchFrames.tcp(from: IPAddress("192.0.2.7")!, 1, to: key.vip, 80)
        let variation = try FlowVariation.sourceFlows(of: frame, count: 1000)
        let ids = lab.state.reals.filter { $0.service == key }.map(\.id)
        try lab.bench.trackFlows(of: frame, variation: variation, count: 1000, serviceID: try #require(lab.state.serviceIDs[key]),
                                 realIDs: ids)
        try lab.bench.prepare(frame: frame, variation: variation)
        let before = try lab.dataplane.readStats()
        let run = try lab.bench.run(.balancer, repeat: 1000)
        let after = try lab.dataplane.readStats()
        try RunCheck.verify(run, subject: "tracked", verdict: .tx, output: nil, before: before, after: after,
                            reason: "tx", event: "ct_hit")
    }
}

struct NoResolver: NeighborResolving {
    func nextHop(for address: IPAddress) throws -> NextHop {
        throw BPFError(call: "test", subject: "\(address)", message: "every real has its mac")
    }
}
