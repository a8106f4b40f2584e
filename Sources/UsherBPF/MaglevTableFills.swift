import Foundation

/// New inner Maglev maps created during planning whose slots are still to be written. A table
/// created BPF_F_MMAPABLE is written through a shared mapping (MaglevInnerMap); otherwise, or if
/// mapping it fails (said in `warnings`), with batch updates, where the kernel copies each
/// element on its own: most of a cold apply's time. The maps are invisible until swapped in, so
/// they are filled side by side on every core, in groups during planning and the rest right
/// after it, always before the first write to a live map: a failed fill still leaves the
/// running tables as they were.
final class MaglevTableFills: @unchecked Sendable {
    private struct Fill: @unchecked Sendable { // OwnedFD: an immutable fd, closed once
        let table: OwnedFD
        let name: String
        let slots: [UInt32]
        let mapped: Bool
    }

    private var pending: [Fill] = []
    private let lock = NSLock()
    private var failure: Error?
    private var mappingFailure: Error?

    /// What the user should know of the fills run so far: a table that could not be mapped.
    var warnings: [String] {
        lock.lock(); defer { lock.unlock() }
        guard let mappingFailure else { return [] }
        return ["Maglev tables written element by element (slower): \(mappingFailure)"]
    }

    var count: Int { pending.count }

    /// Tables filled together at most: bounds the slots held in memory (64 × 65,538 × 4 bytes ≈ 17 MB).
    static let batchLimit = 64

    /// Queues a table (mapped: created BPF_F_MMAPABLE); fills the queued ones once `batchLimit` are waiting.
    func add(_ table: OwnedFD, name: String, slots: [UInt32], mapped: Bool) throws {
        pending.append(Fill(table: table, name: name, slots: slots, mapped: mapped))
        if pending.count >= Self.batchLimit { try run() }
    }

    /// Writes every pending table; throws the first failure (after all workers stopped).
    func run(workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let jobs = pending
        pending = []
        let threads = max(1, min(workers, jobs.count, 8))
        if threads == 1 {
            for job in jobs { try fill(job) }
            return
        }
        failure = nil
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for index in stride(from: worker, to: jobs.count, by: threads) {
                if hasFailed { return }
                do {
                    try fill(jobs[index])
                } catch {
                    record(error)
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    private func fill(_ job: Fill) throws {
        if job.mapped {
            do {
                return try MaglevInnerMap.writeMapped(job.slots, fd: job.table.fd, name: job.name)
            } catch {
                lock.lock(); defer { lock.unlock() }
                if mappingFailure == nil { mappingFailure = error }
            }
        }
        try MapFD(fd: job.table.fd, name: job.name).updateArray(job.slots)
    }

    private var hasFailed: Bool {
        lock.lock(); defer { lock.unlock() }
        return failure != nil
    }

    private func record(_ error: Error) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }
}
