import UsherBPF

/// One BPF_PROG_TEST_RUN of the benchmark: what the last iteration decided and left, and how
/// long the iterations took.
public struct BenchRun: Hashable, Sendable {
    /// The verdict of the last iteration.
    public var verdict: XDPVerdict
    /// The frame as the last iteration left it.
    public var output: [UInt8]
    public var iterations: UInt32
    /// The kernel's average per iteration (whole nanoseconds; it pauses while rescheduling).
    public var kernelNanoseconds: UInt64
    /// Wall-clock time of the whole syscall divided by the iterations (fractions kept).
    public var wallNanosecondsPerIteration: Double

    public init(verdict: XDPVerdict, output: [UInt8], iterations: UInt32, kernelNanoseconds: UInt64,
                wallNanosecondsPerIteration: Double) {
        self.verdict = verdict
        self.output = output
        self.iterations = iterations
        self.kernelNanoseconds = kernelNanoseconds
        self.wallNanosecondsPerIteration = wallNanosecondsPerIteration
    }
}
