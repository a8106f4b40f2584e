/// The order in which nginx's smooth weighted round robin visits the members of a pool,
/// computed once when the pool is configured. Walking it with one shared atomic counter gives
/// the same interleaving (a weight-5/1/1 pool goes a a b a c a a, not a a a a a b c) with no
/// per-request state to lock.
///
/// Members of weight 0 never appear. Weights are divided by their greatest common divisor,
/// and if the sum is still above `maximumLength` they are scaled down proportionally (each
/// kept at least 1), so the table stays small for any weights the configuration allows.
struct SmoothWeightedSequence: Hashable, Sendable {
    /// Member indices, one per slot.
    let slots: [Int]

    static let maximumLength = 4096

    init(weights: [UInt32]) {
        var w = weights.map(UInt64.init)
        let divisor = w.filter { $0 > 0 }.reduce(0, SmoothWeightedSequence.gcd)
        if divisor > 1 { w = w.map { $0 / divisor } }
        let total = w.reduce(0, +)
        if total > UInt64(SmoothWeightedSequence.maximumLength) {
            let scale = Double(SmoothWeightedSequence.maximumLength) / Double(total)
            w = w.map { $0 == 0 ? 0 : max(1, UInt64((Double($0) * scale).rounded(.down))) }
        }
        let length = Int(w.reduce(0, +))
        var current = [Int64](repeating: 0, count: w.count)
        var slots: [Int] = []
        slots.reserveCapacity(length)
        for _ in 0..<length {
            // Every member gains its weight; the leader is chosen and pays back the total.
            var best = -1
            for i in w.indices where w[i] > 0 {
                current[i] += Int64(w[i])
                if best < 0 || current[i] > current[best] { best = i }
            }
            current[best] -= Int64(length)
            slots.append(best)
        }
        self.slots = slots
    }

    var isEmpty: Bool { slots.isEmpty }

    private static func gcd(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
