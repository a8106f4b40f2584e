/// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4): fills a lookup table of a
/// prime size so that each backend owns a share of the slots proportional to its weight, and
/// removing a backend moves little more than that backend's own slots.
///
/// Each backend walks its own permutation of the slots, `offset, offset + skip, …` (mod size),
/// where `offset = h1(key) % size` and `skip = h2(key) % (size - 1) + 1`, with h1 and h2 the
/// `StableHash` of the key under two fixed seeds ("maglev-o" and "maglev-s" in ASCII). In turns,
/// each backend claims the next slot of its permutation that is still empty. Weights follow
/// Katran's MaglevV2: every turn a backend adds its weight to a credit and claims a slot only
/// when the credit reaches the largest weight (then pays that much), so the shares are exactly
/// proportional to the weights (±1 slot).
///
/// The table depends only on the set of (key, weight) pairs and the size — never on the order
/// of the input nor on the process — so every balancer behind ECMP computes the same one.
public enum Maglev {
    static let offsetSeed: UInt64 = 0x6d61_676c_6576_2d6f // "maglev-o"
    static let skipSeed: UInt64 = 0x6d61_676c_6576_2d73 // "maglev-s"

    /// The backend (index into `backends`) owning each of the `size` slots, or -1 everywhere when
    /// no backend has a weight above zero. `size` should be prime (the validator insists); other
    /// sizes still give a full table, with a less even spread.
    public static func table(backends: [MaglevBackend], size: Int) -> [Int32] {
        guard size > 0 else { return [] }
        var table = [Int32](repeating: -1, count: size)
        // Order by key so that the result does not depend on the order of the input.
        let order = backends.indices
            .filter { backends[$0].weight > 0 }
            .sorted { a, b in
                let ka = backends[a].key, kb = backends[b].key
                return ka == kb ? a < b : ka.lexicographicallyPrecedes(kb)
            }
        guard !order.isEmpty else { return table }

        let n = order.count
        var position = [Int](repeating: 0, count: n) // next slot each backend will try
        var skip = [Int](repeating: 1, count: n)
        var weight = [UInt64](repeating: 0, count: n)
        for (i, b) in order.enumerated() {
            let key = backends[b].key
            position[i] = Int(StableHash.hash(key, seed: offsetSeed) % UInt64(size))
            if size > 1 {
                var s = Int(StableHash.hash(key, seed: skipSeed) % UInt64(size - 1)) + 1
                // With a prime size every skip is coprime; otherwise step until it is, so that the
                // walk still visits every slot.
                while gcd(s, size) != 1 { s = s % (size - 1) + 1 }
                skip[i] = s
            }
            weight[i] = UInt64(backends[b].weight)
        }
        let maxWeight = weight.max() ?? 1
        var credit = [UInt64](repeating: 0, count: n)
        let owner = order.map { Int32($0) }

        table.withUnsafeMutableBufferPointer { slots in
            var filled = 0
            while true {
                for i in 0..<n {
                    credit[i] += weight[i]
                    guard credit[i] >= maxWeight else { continue }
                    credit[i] -= maxWeight
                    var c = position[i]
                    let step = skip[i]
                    while slots[c] >= 0 {
                        c += step
                        if c >= size { c -= size }
                    }
                    slots[c] = owner[i]
                    c += step
                    if c >= size { c -= size }
                    position[i] = c
                    filled += 1
                    if filled == size { return }
                }
            }
        }
        return table
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
