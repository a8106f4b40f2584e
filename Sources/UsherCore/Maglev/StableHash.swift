/// A 64-bit hash that is the same on every machine, run and Swift version (unlike `Hasher`,
/// which is seeded per process): FNV-1a 64 with the seed XORed into the offset basis, followed
/// by MurmurHash3's fmix64 finalizer so that keys differing in one byte differ in every bit.
enum StableHash {
    static func hash(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x0000_0100_0000_01b3
        }
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
