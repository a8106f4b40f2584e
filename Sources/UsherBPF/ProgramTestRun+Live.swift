import CLibBPF
import Foundation

extension ProgramTestRun {
    /// Runs the XDP program `fd` `count` times with BPF_F_TEST_XDP_LIVE_FRAMES: each iteration's
    /// frame (from `frame`, as the program rewrites it) really leaves, by XDP_TX out of
    /// `interface` (of the calling thread's network namespace, named as the ingress), `batchSize`
    /// frames per kernel batch. Returns the wall-clock nanoseconds the call took. For the
    /// benchmark lab's traffic generator.
    package static func sendLive(fd: Int32, frame: [UInt8], count: UInt32, interface: String, batchSize: UInt32,
                                 subject: String) throws -> UInt64 {
        var ctx = xdp_md()
        ctx.data_end = UInt32(frame.count)
        ctx.ingress_ifindex = try XDPHook.ifindex(of: interface)
        var input = frame
        var start = timespec(), end = timespec()
        let (result, code) = withLibbpfOptions(bpf_test_run_opts.self) { opts in
            opts.pointee.repeat = Int32(clamping: count)
            opts.pointee.flags = UInt32(BPF_F_TEST_XDP_LIVE_FRAMES)
            opts.pointee.batch_size = batchSize
            let r = input.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &ctx) { ctxPointer in
                    opts.pointee.data_in = UnsafeRawPointer(bytes.baseAddress)
                    opts.pointee.data_size_in = UInt32(bytes.count)
                    opts.pointee.ctx_in = UnsafeRawPointer(ctxPointer)
                    opts.pointee.ctx_size_in = UInt32(MemoryLayout<xdp_md>.size)
                    clock_gettime(CLOCK_MONOTONIC, &start)
                    let r = bpf_prog_test_run_opts(fd, opts)
                    clock_gettime(CLOCK_MONOTONIC, &end)
                    return r
                }
            }
            return (r, errno)
        }
        guard result == 0 else {
            let errno = result < 0 ? -result : code
            // Some kernels (or their sandboxes) refuse live frames outright while every other
            // test run works: say so rather than point at the kernel's version.
            let hint = errno == EPERM
                ? "this kernel refuses live frames (BPF_F_TEST_XDP_LIVE_FRAMES) to this process; the lab's traffic generator cannot run here"
                : "live frames need kernel 5.18 or later and an interface that can transmit XDP frames"
            throw BPFError.call("bpf_prog_test_run_opts", on: "program \(subject) (live frames out of \(interface))",
                                errno: errno, hint: hint)
        }
        let ns = (Int64(end.tv_sec) - Int64(start.tv_sec)) * 1_000_000_000 + Int64(end.tv_nsec) - Int64(start.tv_nsec)
        return UInt64(max(ns, 0))
    }
}
