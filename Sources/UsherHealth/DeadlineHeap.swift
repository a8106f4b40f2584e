/// The prober's deadlines, earliest first: a binary min-heap of (deadline, descriptor,
/// generation). A check that ended before its deadline stays in the heap until then and is
/// skipped, which is cheaper than finding and removing it.
struct DeadlineHeap {
    private struct Entry {
        let deadline: UInt64
        let fd: Int32
        let generation: UInt32
    }

    private var entries: [Entry] = []

    var count: Int { entries.count }

    /// The earliest deadline.
    var first: UInt64? { entries.first?.deadline }

    mutating func insert(_ deadline: UInt64, fd: Int32, generation: UInt32) {
        entries.append(Entry(deadline: deadline, fd: fd, generation: generation))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].deadline < entries[parent].deadline else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest entry when its deadline is at or before `now`, removed.
    mutating func popExpired(now: UInt64) -> (fd: Int32, generation: UInt32)? {
        guard let top = entries.first, top.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].deadline < entries[smallest].deadline { smallest = left }
                if right < entries.count, entries[right].deadline < entries[smallest].deadline { smallest = right }
                guard smallest != parent else { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (top.fd, top.generation)
    }
}
