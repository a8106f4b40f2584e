import Testing
@testable import UsherCore

@Suite struct MaglevTests {
    static let size = 65537

    /// `n` backends keyed like IPv4 reals 198.51.100.x / 198.51.x.y.
    static func backends(_ n: Int, weight: UInt32 = 1) -> [MaglevBackend] {
        (0..<n).map { (i: Int) -> MaglevBackend in
            let key: [UInt8] = [198, 51, UInt8(100 + i / 250), UInt8(1 + i % 250)]
            return MaglevBackend(key: key, weight: weight)
        }
    }

    static func counts(_ table: [Int32], backends n: Int) -> [Int] {
        var c = [Int](repeating: 0, count: n)
        for owner in table where owner >= 0 { c[Int(owner)] += 1 }
        return c
    }

    @Test(arguments: [3, 10, 100])
    func equalBackendsGetEqualShares(n: Int) {
        let table = Maglev.table(backends: Self.backends(n), size: Self.size)
        #expect(table.count == Self.size)
        #expect(!table.contains(-1))
        let ideal = Double(Self.size) / Double(n)
        for (i, c) in Self.counts(table, backends: n).enumerated() {
            #expect(abs(Double(c) - ideal) <= ideal * 0.01, "backend \(i) has \(c) slots, ideal \(ideal)")
        }
    }

    @Test func weightsAreHonoured() {
        var backends = Self.backends(3)
        for (i, w) in [1, 2, 3].enumerated() { backends[i].weight = UInt32(w) }
        let counts = Self.counts(Maglev.table(backends: backends, size: Self.size), backends: 3)
        for (i, w) in [1.0, 2.0, 3.0].enumerated() {
            let ideal = Double(Self.size) * w / 6.0
            #expect(abs(Double(counts[i]) - ideal) <= ideal * 0.01, "backend \(i): \(counts[i]) slots, ideal \(ideal)")
        }
    }

    @Test func skewedWeightsOverManyBackends() {
        var backends = Self.backends(100)
        backends[7].weight = 1000
        let counts = Self.counts(Maglev.table(backends: backends, size: Self.size), backends: 100)
        let ideal = Double(Self.size) * 1000 / 1099
        #expect(abs(Double(counts[7]) - ideal) <= ideal * 0.01)
        #expect(counts.allSatisfy { $0 > 0 })
    }

    @Test func zeroWeightBackendsGetNoSlots() {
        var backends = Self.backends(4)
        backends[2].weight = 0
        let table = Maglev.table(backends: backends, size: 65537)
        #expect(!table.contains(2))
        #expect(!table.contains(-1))
        #expect(Set(table) == [0, 1, 3])
    }

    @Test(arguments: [10, 100])
    func removingOneBackendMovesLittleMoreThanItsShare(n: Int) {
        let all = Self.backends(n)
        let before = Maglev.table(backends: all, size: Self.size)
        for removed in [0, n / 2, n - 1] {
            var rest = all
            rest.remove(at: removed)
            let after = Maglev.table(backends: rest, size: Self.size)
            // Compare owners by key, since indices shift after the removed one.
            var moved = 0
            for slot in 0..<Self.size where all[Int(before[slot])].key != rest[Int(after[slot])].key { moved += 1 }
            let fraction = Double(moved) / Double(Self.size)
            #expect(fraction <= 1.0 / Double(n) + 0.02, "removing \(removed) of \(n) moved \(fraction)")
            #expect(fraction >= 1.0 / Double(n) * 0.99, "the removed backend's own slots must move")
        }
    }

    @Test func theTableDoesNotDependOnTheInputOrder() {
        let backends = Self.backends(50).enumerated().map { MaglevBackend(key: $1.key, weight: UInt32(1 + $0 % 4)) }
        let table = Maglev.table(backends: backends, size: 65537)
        let shuffledOrder = Array(backends.indices).sorted { ($0 * 7919) % 50 < ($1 * 7919) % 50 }
        let shuffled = shuffledOrder.map { backends[$0] }
        #expect(shuffledOrder != Array(backends.indices))
        let table2 = Maglev.table(backends: shuffled, size: 65537)
        for slot in 0..<65537 { if backends[Int(table[slot])].key != shuffled[Int(table2[slot])].key { Issue.record("slot \(slot) differs"); break } }
    }

    /// Pins the hash and the algorithm: a change here reshuffles every flow on every upgraded
    /// balancer, so it must be deliberate. The expected values were computed by an independent
    /// Python transcription of the documented algorithm (not by this code):
    ///
    ///     def stable(bs, seed):                      # FNV-1a 64 (seed ^ basis) + fmix64
    ///         h = 0xcbf29ce484222325 ^ seed
    ///         for b in bs: h = ((h ^ b) * 0x100000001b3) & M64
    ///         for m in (0xff51afd7ed558ccd, 0xc4ceb9fe1a85ec53): h ^= h >> 33; h = (h * m) & M64
    ///         return h ^ (h >> 33)
    ///     order = backends with weight > 0 sorted by (key bytes, index)
    ///     pos = stable(key, "maglev-o") % M; skip = stable(key, "maglev-s") % (M - 1) + 1
    ///     round-robin over order: credit += w; if credit >= max w: credit -= max w and take the
    ///     next empty slot of pos, pos + skip, … (mod M); stop when all M slots are taken.
    @Test func theTableIsStableAcrossReleases() {
        #expect(StableHash.hash([198, 51, 100, 1], seed: Maglev.offsetSeed) == 17_986_201_521_553_471_622)
        #expect(Maglev.table(backends: Self.backends(3), size: 13) == [0, 1, 2, 2, 0, 2, 1, 2, 1, 0, 1, 0, 0])
        let weighted = [
            MaglevBackend(key: [198, 51, 100, 3], weight: 2),
            MaglevBackend(key: [198, 51, 100, 1], weight: 1),
            MaglevBackend(key: [198, 51, 100, 2], weight: 3),
        ]
        #expect(Maglev.table(backends: weighted, size: 17) == [0, 2, 2, 0, 0, 2, 2, 0, 1, 2, 2, 2, 1, 2, 0, 1, 2])
    }

    @Test func noActiveBackendGivesAnEmptyTable() {
        #expect(Maglev.table(backends: [], size: 7) == [Int32](repeating: -1, count: 7))
        #expect(Maglev.table(backends: Self.backends(3, weight: 0), size: 11) == [Int32](repeating: -1, count: 11))
        #expect(Maglev.table(backends: Self.backends(3), size: 0) == [])
    }

    @Test func nonPrimeSizesStillFillEverySlot() {
        for size in [1, 2, 12, 1000] {
            let table = Maglev.table(backends: Self.backends(5), size: size)
            #expect(table.count == size && !table.contains(-1), "size \(size)")
        }
    }

    @Test func aServiceTableIndexesItsReals() {
        let reals = (1...4).map { RealServer(address: IPAddress("198.51.100.\($0)")!, weight: $0 == 2 ? 0 : 1) }
        let service = VirtualService(name: "web", vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp, mode: .dsrL2,
                                     maglevTableSize: 1009, reals: reals)
        let table = service.maglevTable
        #expect(table.count == 1009)
        #expect(Set(table) == [0, 2, 3])
        // Reordering the reals keeps each slot on the same address.
        var reordered = service
        reordered.reals.reverse()
        let table2 = reordered.maglevTable
        #expect((0..<1009).allSatisfy { reals[Int(table[$0])].address == reordered.reals[Int(table2[$0])].address })
    }

    @Test func largeTablesAreFast() {
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = Maglev.table(backends: Self.backends(1000), size: 65537) }
        // Release builds take a few milliseconds; the bound leaves room for debug builds.
        #expect(elapsed < .seconds(5), "65537 slots × 1000 backends took \(elapsed)")
    }
}
