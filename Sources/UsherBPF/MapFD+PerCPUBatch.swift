import CLibBPF
import Foundation

extension MapFD {
    /// Every index 0..<count of a per-CPU array, each folded over its CPUs' values by `fold`,
    /// read in a few BPF_MAP_LOOKUP_BATCH calls (one lookup per index costs a system call each:
    /// 100,000 reals made a scrape spend most of its time in the kernel).
    func perCPUArray<V: BitwiseCopyable, S>(count: Int, as _: V.Type, initial: S, fold: (inout S, V) -> Void) throws -> [S] {
        let cpus = try BPFSystem.possibleCPUs()
        let stride = (MemoryLayout<V>.size + 7) & ~7
        return try batchArray(count: count, valueBytes: cpus * stride) { values in
            var sum = initial
            for cpu in 0..<cpus { fold(&sum, values.load(fromByteOffset: cpu * stride, as: V.self)) }
            return sum
        }
    }

    /// Indices start..<start+count of an array map in batches of 4096: `value` reads each index's
    /// `valueBytes` bytes (one value, or one per CPU).
    func batchArray<S>(start: Int = 0, count: Int, valueBytes: Int, _ value: (UnsafeRawPointer) -> S) throws -> [S] {
        let chunk = 4096
        let keys = UnsafeMutablePointer<UInt32>.allocate(capacity: chunk)
        let values = UnsafeMutableRawPointer.allocate(byteCount: chunk * valueBytes, alignment: 8)
        defer { keys.deallocate(); values.deallocate() }
        var out: [S] = []
        out.reserveCapacity(count)
        // The token is the last index read; the kernel goes on from the one after it.
        var token = UInt32(truncatingIfNeeded: start &- 1)
        var first = start == 0
        while out.count < count {
            var got = UInt32(min(chunk, count - out.count))
            var nextToken: UInt32 = 0
            let result = withLibbpfOptions(bpf_map_batch_opts.self) { opts in
                first
                    ? bpf_map_lookup_batch(fd, nil, &nextToken, keys, values, &got, opts)
                    : bpf_map_lookup_batch(fd, &token, &nextToken, keys, values, &got, opts)
            }
            let code = result == 0 ? 0 : errno
            if result != 0 && code != ENOENT {
                throw BPFError.call("bpf_map_lookup_batch", on: "map \(name)", errno: code)
            }
            for i in 0..<Int(got) { out.append(value(UnsafeRawPointer(values + i * valueBytes))) }
            if code == ENOENT || got == 0 { break }
            token = nextToken
            first = false
        }
        return out
    }
}
