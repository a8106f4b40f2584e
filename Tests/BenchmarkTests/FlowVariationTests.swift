import Testing
import UsherBPF
import UsherBenchKit
import UsherCore

/// The flow variation the wrapper applies, computed on the Swift side (no kernel needed).
struct FlowVariationTests {
    static let frame = BenchFrames.tcp(from: IPAddress("192.0.2.7")!, 40000, to: IPAddress("203.0.113.10")!, 80)

    @Test("a modulus of N with its stride visits each of the N flows once per N iterations")
    func permutation() throws {
        for n: UInt32 in [1, 2, 10, 1000, 4096, 10_000] {
            let v = try FlowVariation.sourceFlows(of: Self.frame, count: n)
            let seen = Set((0..<UInt64(n)).map { v.index(ofIteration: $0) })
            #expect(seen.count == Int(n) && seen.allSatisfy { $0 < n }, "n = \(n)")
        }
    }

    @Test("flow index bits 0-15 are the source port, 16-23 the source address's last byte, from the frame's own")
    func fields() throws {
        let v = try FlowVariation.sourceFlows(of: Self.frame, count: nil)
        let f = v.apply(to: Self.frame, index: 0x03_0102)
        #expect(Array(f[34..<36]) == [UInt8((40000 + 0x0102) >> 8), UInt8((40000 + 0x0102) & 0xFF)])
        #expect(f[29] == 7 + 3)
        #expect(Array(f[0..<34].enumerated().filter { $0.offset != 29 }.map(\.element)) ==
                Array(Self.frame[0..<34].enumerated().filter { $0.offset != 29 }.map(\.element)))
        #expect(v.apply(to: Self.frame, iteration: 5) == v.apply(to: Self.frame, index: 5))
    }

    @Test("more flows than the fields can tell apart are refused")
    func tooMany() {
        #expect(throws: BPFError.self) { try FlowVariation.sourceFlows(of: Self.frame, count: (1 << 24) + 1) }
    }
}
