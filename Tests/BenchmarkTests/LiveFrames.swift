import Foundation
import Testing
import UsherBenchKit
import UsherBPF
import UsherTestSupport

/// Whether the kernel lets BPF_PROG_TEST_RUN send live frames (BPF_F_TEST_XDP_LIVE_FRAMES),
/// which the lab's generator (parts 3 and 4 of the benchmark) is made of. A kernel or sandbox
/// may refuse it outright with EPERM while every other test run works (seen on a 6.18 build of
/// the lab VM); the tests that send then say so instead of failing. Probed once, as the tests
/// send: one frame out of a veth of two namespaces of the probe's own. Any other error is not a
/// refusal: the tests run and report it.
enum LiveFrames {
    static let refusal: String? = {
        guard Privileges.rootAndBPFFS else { return nil }
        do {
            let pair = try LabGeneratorTests.Pair()
            defer { pair.remove() }
            let generator = try XDPLiveGenerator()
            try generator.prepare(frame: LabGeneratorTests.frame, variation: .none, checksumOffset: nil)
            try LabShell.inNamespace(pair.a) {
                _ = try generator.send(count: 1, interface: pair.portA, firstIteration: 0, batchSize: 1)
            }
            return nil
        } catch let error as BPFError where error.errno == EPERM {
            return "\(error)"
        } catch {
            return nil
        }
    }()

    /// Root, bpffs and live frames.
    static var available: Bool { Privileges.rootAndBPFFS && refusal == nil }

    /// The skip message of tests that send live frames.
    static var requirement: Comment {
        Comment(rawValue: refusal ?? "needs root and bpffs (mount -t bpf bpf /sys/fs/bpf), and a kernel that sends live frames")
    }
}
