/// A hash that is the same in every process and on every balancer (unlike `Hasher`, which is
/// seeded per process), so affinity by source address or header value survives a restart and
/// agrees between balancers behind ECMP. FNV-1a 64 with a final avalanche (splitmix64).
struct StableHash {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    init() {}

    mutating func combine(byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    mutating func combine<S: Sequence>(bytes: S) where S.Element == UInt8 {
        for b in bytes { combine(byte: b) }
    }

    mutating func combine(_ text: Substring) {
        combine(bytes: text.utf8)
        combine(byte: 0xff) // separator: ("ab","c") and ("a","bc") differ
    }

    mutating func combine(number: UInt64) {
        var n = number
        for _ in 0..<8 {
            combine(byte: UInt8(truncatingIfNeeded: n))
            n >>= 8
        }
    }

    /// The finished hash, mixed so that nearby inputs spread over all 64 bits.
    var finalized: UInt64 { StableHash.mix(value) }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    static func of(_ text: Substring) -> UInt64 {
        var h = StableHash()
        h.combine(text)
        return h.finalized
    }

    static func of<S: Sequence>(bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = StableHash()
        h.combine(bytes: bytes)
        return h.finalized
    }
}
