import CLibBPF
import Foundation

/// One BPF_PROG_TEST_RUN call of an XDP program: the one place that fills the kernel's options,
/// for `Dataplane.runPacket` and the benchmark harness.
///
/// With `repeat` above 1 the kernel runs later iterations on the frame as the previous one left
/// it (an encapsulated frame stays encapsulated); callers that need every iteration to see the
/// original frame run it under the benchmark wrapper, which restores it.
package struct ProgramTestRun {
    package let verdict: XDPVerdict
    package let output: [UInt8]
    /// The kernel's average per iteration.
    package let kernelNanoseconds: UInt64
    /// Wall-clock time of the whole call, divided by the iterations.
    package let wallNanosecondsPerIteration: Double

    /// Runs `frame` through the program `fd` `iterations` times; `outputRoom` is how much the
    /// frame may grow (encapsulation). `subject` names the program in errors.
    package init(fd: Int32, frame: [UInt8], iterations: UInt32 = 1, outputRoom: Int = 256, subject: String) throws {
        var input = frame
        var output = [UInt8](repeating: 0, count: frame.count + outputRoom)
        var start = timespec(), end = timespec()
        let (result, code, retval, outputSize, duration) = withLibbpfOptions(bpf_test_run_opts.self) { opts in
            opts.pointee.repeat = Int32(clamping: max(iterations, 1))
            let r = input.withUnsafeMutableBytes { inBytes in
                output.withUnsafeMutableBytes { outBytes in
                    opts.pointee.data_in = UnsafeRawPointer(inBytes.baseAddress)
                    opts.pointee.data_size_in = UInt32(inBytes.count)
                    opts.pointee.data_out = outBytes.baseAddress
                    opts.pointee.data_size_out = UInt32(outBytes.count)
                    clock_gettime(CLOCK_MONOTONIC, &start)
                    let r = bpf_prog_test_run_opts(fd, opts)
                    clock_gettime(CLOCK_MONOTONIC, &end)
                    return r
                }
            }
            return (r, errno, opts.pointee.retval, opts.pointee.data_size_out, opts.pointee.duration)
        }
        guard result == 0 else {
            throw BPFError.call("bpf_prog_test_run_opts", on: "program \(subject)", errno: code)
        }
        guard let verdict = XDPVerdict(rawValue: retval) else {
            throw BPFError(call: "bpf_prog_test_run_opts", subject: "program \(subject)",
                           message: "it returned \(retval), which is no XDP action")
        }
        let wall = Double(end.tv_sec - start.tv_sec) * 1e9 + Double(end.tv_nsec - start.tv_nsec)
        self.verdict = verdict
        self.output = Array(output.prefix(Int(outputSize)))
        kernelNanoseconds = UInt64(duration)
        wallNanosecondsPerIteration = wall / Double(max(iterations, 1))
    }
}
