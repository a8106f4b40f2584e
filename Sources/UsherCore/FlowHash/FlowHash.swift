/// The data plane's flow hash, bit for bit (contracts: "Flow hash"), so that the control plane
/// and tests can tell which real a given flow goes to and which outer source address it gets.
///
/// Addresses and ports are read as the XDP program reads them: the network-order bytes loaded
/// as a little-endian integer (a native load on x86), whatever the host running this code.
public enum FlowHash {
    /// USHER_HASH_SEED in abi.h ("USHR").
    public static let seed: UInt32 = 0x5553_4852

    /// The flow's hash as the XDP program computes it. Ports are given in host order.
    /// With `sourceOnly` (service hash `source-ip`) only the client address counts.
    public static func hash(src: IPAddress, dst: IPAddress, sport: UInt16, dport: UInt16, proto: UInt8, sourceOnly: Bool) -> UInt32 {
        if sourceOnly { return jhash3Words(fold(src), 0, 0, initval: seed) }
        let ports = UInt32(nativeLoad(sport)) << 16 | UInt32(nativeLoad(dport))
        return jhash3Words(fold(src), fold(dst) ^ UInt32(proto), ports, initval: seed)
    }

    /// The slot of the BPF inner Maglev map a hash selects: `1 + hash % M` (slot 0 holds M).
    /// The owner is `Maglev.table(…)[slot - 1]`. Returns 0 (no slot) for an empty table.
    public static func maglevSlot(hash: UInt32, tableSize: Int) -> Int {
        guard tableSize > 0 else { return 0 }
        return 1 + Int(hash % UInt32(truncatingIfNeeded: tableSize))
    }

    /// An address folded to 32 bits: IPv4's 4 bytes as a little-endian word; IPv6's four
    /// words, each read so, XORed together.
    public static func fold(_ address: IPAddress) -> UInt32 {
        let b = address.bytes
        var out: UInt32 = 0
        for w in stride(from: 0, to: b.count, by: 4) {
            out ^= UInt32(b[w]) | UInt32(b[w + 1]) << 8 | UInt32(b[w + 2]) << 16 | UInt32(b[w + 3]) << 24
        }
        return out
    }

    /// Linux's jhash_3words (include/linux/jhash.h).
    public static func jhash3Words(_ a: UInt32, _ b: UInt32, _ c: UInt32, initval: UInt32) -> UInt32 {
        let start: UInt32 = 0xdead_beef &+ (3 << 2) &+ initval
        var a = a &+ start, b = b &+ start, c = c &+ start
        // __jhash_final
        c ^= b; c &-= rol(b, 14)
        a ^= c; a &-= rol(c, 11)
        b ^= a; b &-= rol(a, 25)
        c ^= b; c &-= rol(b, 16)
        a ^= c; a &-= rol(c, 4)
        b ^= a; b &-= rol(a, 14)
        c ^= b; c &-= rol(b, 24)
        return c
    }

    /// The outer source address of a dsr-ipip packet: for IPv4 the prefix's address with its
    /// host bits taken from the hash (in network order); for IPv6 the same on the last 32 bits.
    public static func encapsulationSource(prefix: IPPrefix, hash: UInt32) -> IPAddress {
        var bytes = prefix.address.bytes
        let mask = prefix.hostMaskBytes
        let hashBytes = [UInt8(hash >> 24), UInt8(hash >> 16 & 0xff), UInt8(hash >> 8 & 0xff), UInt8(hash & 0xff)]
        let base = bytes.count - 4
        for i in 0..<4 { bytes[base + i] |= hashBytes[i] & mask[base + i] }
        return IPAddress(bytes: bytes) ?? prefix.address
    }

    /// The flow label of an outer IPv6 header: the low 20 bits of the hash.
    public static func flowLabel(hash: UInt32) -> UInt32 { hash & 0xFFFFF }

    /// A port's two network-order bytes loaded as a little-endian u16.
    private static func nativeLoad(_ port: UInt16) -> UInt16 { port >> 8 | (port & 0xff) << 8 }

    private static func rol(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
}
