/// The result of running one frame through the balancer with BPF_PROG_TEST_RUN.
/// Encodes as `{"verdict":"XDP_TX","output":"<hex>","duration_ns":N}`.
public struct PacketRunResult: Hashable, Sendable, Encodable {
    public var verdict: XDPVerdict
    /// The frame as the program left it (rewritten, encapsulated, or as it came).
    public var output: [UInt8]
    /// The kernel's average time per run, in nanoseconds.
    public var durationNanoseconds: UInt64

    public init(verdict: XDPVerdict, output: [UInt8], durationNanoseconds: UInt64) {
        self.verdict = verdict
        self.output = output
        self.durationNanoseconds = durationNanoseconds
    }

    enum CodingKeys: String, CodingKey {
        case verdict, output
        case durationNanoseconds = "duration_ns"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(verdict.name, forKey: .verdict)
        try c.encode(output.map { String(($0 >> 4) & 0xf, radix: 16) + String($0 & 0xf, radix: 16) }.joined(), forKey: .output)
        try c.encode(durationNanoseconds, forKey: .durationNanoseconds)
    }
}
