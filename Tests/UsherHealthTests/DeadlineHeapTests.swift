import Testing
@testable import UsherHealth

struct DeadlineHeapTests {
    @Test func popsExpiredDeadlinesEarliestFirstAndNothingLater() {
        var heap = DeadlineHeap()
        var rng = SystemRandomNumberGenerator()
        let deadlines = (0..<500).map { _ in UInt64.random(in: 0...1_000, using: &rng) }
        for (i, deadline) in deadlines.enumerated() { heap.insert(deadline, fd: Int32(i), generation: UInt32(i)) }
        #expect(heap.first == deadlines.min())
        var popped: [UInt64] = []
        while let (fd, generation) = heap.popExpired(now: 500) {
            #expect(UInt32(fd) == generation)
            popped.append(deadlines[Int(fd)])
        }
        #expect(popped == deadlines.filter { $0 <= 500 }.sorted())
        #expect(heap.count == deadlines.filter { $0 > 500 }.count)
        #expect(heap.first.map { $0 > 500 } == true)
    }
}
