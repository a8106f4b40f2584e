import CLibBPF
import Foundation

/// Whole-map reads and many-element writes in a few system calls (BPF_MAP_LOOKUP_BATCH and
/// BPF_MAP_UPDATE_BATCH, kernel ≥ 5.6), falling back to one call per element where the kernel
/// or the map type has no batch operation.
extension MapFD {
    /// Every (key, value) present in the map (at least the first `limit`, possibly a few more),
    /// in the kernel's order. Array-of-maps values are the inner maps' kernel ids; empty slots
    /// are left out (the kernel skips them).
    package func entries<K: BitwiseCopyable, V: BitwiseCopyable>(as _: (K, V).Type = (K, V).self, limit: Int = .max,
                                                         chunk: Int = 4096) throws -> [(K, V)] {
        let keySize = MemoryLayout<K>.stride, valueSize = MemoryLayout<V>.stride
        let keys = UnsafeMutableRawPointer.allocate(byteCount: chunk * keySize, alignment: 8)
        let values = UnsafeMutableRawPointer.allocate(byteCount: chunk * valueSize, alignment: 8)
        // The batch token of hash maps is a bucket index (u32); of arrays, the next key. Either fits 8 bytes
        // when the key is small; a bigger key gets a buffer of its size.
        let tokenSize = max(8, keySize)
        let token = UnsafeMutableRawPointer.allocate(byteCount: tokenSize, alignment: 8)
        let nextToken = UnsafeMutableRawPointer.allocate(byteCount: tokenSize, alignment: 8)
        defer { keys.deallocate(); values.deallocate(); token.deallocate(); nextToken.deallocate() }
        var out: [(K, V)] = []
        var first = true
        while true {
            var got = UInt32(chunk)
            let result = withLibbpfOptions(bpf_map_batch_opts.self) { opts in
                bpf_map_lookup_batch(fd, first ? nil : token, nextToken, keys, values, &got, opts)
            }
            let code = result == 0 ? 0 : errno
            if result != 0 && code != ENOENT {
                // ENOSPC: one hash bucket holds more entries than a chunk (not expected at 4096).
                if first && (Self.batchUnsupported(code) || code == ENOSPC) { return try entriesOneByOne(limit: limit) }
                throw BPFError.call("bpf_map_lookup_batch", on: "map \(name)", errno: code)
            }
            for i in 0..<Int(got) {
                out.append((keys.load(fromByteOffset: i * keySize, as: K.self),
                            values.load(fromByteOffset: i * valueSize, as: V.self)))
            }
            if code == ENOENT || out.count >= limit { return out }
            token.copyMemory(from: nextToken, byteCount: tokenSize)
            first = false
        }
    }

    /// Writes `values[i]` at `keys[i]` (BPF_ANY), in order, in batches of `chunk`.
    package func updateBatch<K: BitwiseCopyable, V: BitwiseCopyable>(keys: [K], values: [V], chunk: Int = 65536) throws {
        precondition(keys.count == values.count, "updateBatch: one value per key")
        var start = 0
        while start < keys.count {
            let end = min(keys.count, start + chunk)
            var done = UInt32(end - start)
            let result = withLibbpfOptions(bpf_map_batch_opts.self) { opts in
                opts.pointee.elem_flags = UInt64(BPF_ANY)
                return keys.withUnsafeBufferPointer { k in
                    values.withUnsafeBufferPointer { v in
                        bpf_map_update_batch(fd, k.baseAddress! + start, v.baseAddress! + start, &done, opts)
                    }
                }
            }
            if result != 0 {
                let code = errno
                // No batch operation here: nothing was written (count 0); go one element at a time.
                guard done == 0, Self.batchUnsupported(code) else {
                    throw BPFError.call("bpf_map_update_batch", on: "map \(name) (\(done) of \(end - start) written)", errno: code)
                }
                for i in start..<keys.count { try update(keys[i], values[i]) }
                return
            }
            start = end
        }
    }

    /// Deletes `keys` in one batch. A key that is not there (ENOENT: evicted or deleted since it
    /// was read) ends the batch early without an error: read the map again for what is left.
    package func deleteBatch<K: BitwiseCopyable>(keys: [K]) throws {
        guard !keys.isEmpty else { return }
        var count = UInt32(keys.count)
        let result = withLibbpfOptions(bpf_map_batch_opts.self) { opts in
            keys.withUnsafeBufferPointer { bpf_map_delete_batch(fd, $0.baseAddress, &count, opts) }
        }
        guard result == 0 || errno == ENOENT else {
            throw BPFError.call("bpf_map_delete_batch", on: "map \(name)", errno: errno)
        }
    }

    /// The errno of a batch call the kernel or this map type does not offer.
    static func batchUnsupported(_ code: Int32) -> Bool {
        code == EINVAL || code == ENOTSUP || code == EOPNOTSUPP || code == 524 /* ENOTSUPP */
    }

    private func entriesOneByOne<K: BitwiseCopyable, V: BitwiseCopyable>(limit: Int) throws -> [(K, V)] {
        var out: [(K, V)] = []
        for key in try keys(as: K.self, limit: limit) {
            if let value = try lookup(key, as: V.self) { out.append((key, value)) }
        }
        return out
    }
}
