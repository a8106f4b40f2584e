import CLibBPF
import Foundation

extension Dataplane {
    /// Runs `frame` once through `usher_balance` with BPF_PROG_TEST_RUN against the pinned maps —
    /// what an attached program would decide, including its effects on the flow table and the
    /// counters. The program is loaded (verified) on first use and kept for further runs.
    /// Timing many runs is the benchmark harness's job (`XDPBench`), which gives every
    /// iteration the original frame.
    public func runPacket(_ frame: [UInt8]) throws -> PacketRunResult {
        guard frame.count >= 14 else {
            throw BPFError(call: "bpf_prog_test_run_opts", subject: "program \(ProgramName.balancer)",
                           message: "the frame has \(frame.count) bytes; it needs at least an Ethernet header (14)")
        }
        let program = try balancerForTests()
        let run = try ProgramTestRun(fd: try program.programFD(named: ProgramName.balancer), frame: frame,
                                     subject: ProgramName.balancer)
        return PacketRunResult(verdict: run.verdict, output: run.output, durationNanoseconds: run.kernelNanoseconds)
    }

    /// The balancer program loaded against the pinned maps, once per Dataplane.
    private func balancerForTests() throws -> BPFObject {
        if let testProgram { return testProgram }
        let object = try openProgramObject(ProgramName.balancer)
        try object.load()
        testProgram = object
        return object
    }
}
