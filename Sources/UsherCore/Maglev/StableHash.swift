/// The one 64-bit hash that is the same on every machine, run and Swift version (unlike
/// `Hasher`, which is seeded per process): FNV-1a 64 with the seed XORed into the offset basis,
/// then MurmurHash3's fmix64 finalizer, so that keys differing in one byte differ in every bit.
/// Maglev's permutations use it (so balancers with one config build one table), and so does the
/// proxy's affinity (so a source address or a header value reaches the same member on every
/// balancer and after a restart).
public struct StableHash: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64 = 0) {
        state = 0xcbf2_9ce4_8422_2325 ^ seed
    }

    public mutating func combine(byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    public mutating func combine<S: Sequence>(bytes: S) where S.Element == UInt8 {
        for b in bytes { combine(byte: b) }
    }

    /// A text and a separator after it: ("ab", "c") and ("a", "bc") hash apart.
    public mutating func combine(_ text: Substring) {
        combine(bytes: text.utf8)
        combine(byte: 0xff)
    }

    /// The number's 8 bytes, least significant first.
    public mutating func combine(number: UInt64) {
        var n = number
        for _ in 0..<8 {
            combine(byte: UInt8(truncatingIfNeeded: n))
            n >>= 8
        }
    }

    /// The finished hash.
    public var finalized: UInt64 { Self.mix(state) }

    /// MurmurHash3's fmix64: a bijection of 64 bits in which every input bit flips every output
    /// bit with probability about one half.
    public static func mix(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// The hash of `bytes` under `seed` (Maglev's offsets and skips).
    public static func hash(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        var h = StableHash(seed: seed)
        h.combine(bytes: bytes)
        return h.finalized
    }

    /// The hash of a text (with its separator).
    public static func of(_ text: Substring) -> UInt64 {
        var h = StableHash()
        h.combine(text)
        return h.finalized
    }

    public static func of<S: Sequence>(bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = StableHash()
        h.combine(bytes: bytes)
        return h.finalized
    }
}
