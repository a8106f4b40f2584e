import CLibBPF
import Foundation

extension Dataplane {
    /// Runs `frame` through `usher_balance` with BPF_PROG_TEST_RUN against the pinned maps —
    /// what an attached program would decide, including its effects on the flow table and the
    /// counters. The program is loaded (verified) on first use and kept for further runs.
    /// - Parameter repeat: how many runs (each sees the original frame); the duration is the
    ///   kernel's average.
    public func runPacket(_ frame: [UInt8], repeat count: UInt32 = 1) throws -> PacketRunResult {
        guard frame.count >= 14 else {
            throw BPFError(call: "bpf_prog_test_run_opts", subject: "program \(ProgramName.balancer)",
                           message: "the frame has \(frame.count) bytes; it needs at least an Ethernet header (14)")
        }
        let program = try balancerForTests()
        let fd = try program.programFD(named: ProgramName.balancer)
        var input = frame
        // Room for an outer IPv6 header (40 bytes) and more: the frame grows under dsr-ipip.
        var output = [UInt8](repeating: 0, count: frame.count + 256)
        var opts = bpf_test_run_opts()
        opts.sz = MemoryLayout<bpf_test_run_opts>.size
        opts.repeat = Int32(clamping: max(count, 1))
        let result = input.withUnsafeMutableBytes { inBytes in
            output.withUnsafeMutableBytes { outBytes in
                opts.data_in = UnsafeRawPointer(inBytes.baseAddress)
                opts.data_size_in = UInt32(inBytes.count)
                opts.data_out = outBytes.baseAddress
                opts.data_size_out = UInt32(outBytes.count)
                return bpf_prog_test_run_opts(fd, &opts)
            }
        }
        guard result == 0 else {
            throw BPFError.call("bpf_prog_test_run_opts", on: "program \(ProgramName.balancer)", errno: errno)
        }
        guard let verdict = XDPVerdict(rawValue: opts.retval) else {
            throw BPFError(call: "bpf_prog_test_run_opts", subject: "program \(ProgramName.balancer)",
                           message: "it returned \(opts.retval), which is no XDP action")
        }
        return PacketRunResult(verdict: verdict, output: Array(output.prefix(Int(opts.data_size_out))),
                               durationNanoseconds: UInt64(opts.duration))
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
