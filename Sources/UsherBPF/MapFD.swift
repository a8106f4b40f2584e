import CLibBPF
import Foundation

/// Typed access to one BPF map by fd. It does not own the fd (the `BPFObject` or an `OwnedFD`
/// does). Keys and values are the C structs of the ABI header, passed by their bytes; their
/// sizes must be the map's key and value sizes, which the layout test pins.
package struct MapFD {
    let fd: Int32
    let name: String

    private var subject: String { "map \(name)" }

    /// The value at `key`, or nil if there is none.
    package func lookup<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as _: V.Type = V.self) throws -> V? {
        var key = key
        let value = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<V>.size, alignment: 8)
        defer { value.deallocate() }
        value.initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<V>.size)
        let result = bpf_map_lookup_elem(fd, &key, value)
        if result != 0 {
            let code = errno
            if code == ENOENT { return nil }
            throw BPFError.call("bpf_map_lookup_elem", on: subject, errno: code)
        }
        return value.load(as: V.self)
    }

    /// Writes `value` at `key` (BPF_ANY: create or replace).
    package func update<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, _ value: V, flags: UInt64 = UInt64(BPF_ANY)) throws {
        var key = key, value = value
        guard bpf_map_update_elem(fd, &key, &value, flags) == 0 else {
            throw BPFError.call("bpf_map_update_elem", on: subject, errno: errno)
        }
    }

    /// Deletes `key`; false if it was not there.
    @discardableResult
    func delete<K: BitwiseCopyable>(_ key: K) throws -> Bool {
        var key = key
        guard bpf_map_delete_elem(fd, &key) == 0 else {
            let code = errno
            if code == ENOENT { return false }
            throw BPFError.call("bpf_map_delete_elem", on: subject, errno: code)
        }
        return true
    }

    /// Up to `limit` keys of a hash map, in the kernel's iteration order.
    func keys<K: BitwiseCopyable>(as _: K.Type = K.self, limit: Int = .max) throws -> [K] {
        var out: [K] = []
        let size = MemoryLayout<K>.size
        let current = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        let next = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        defer { current.deallocate(); next.deallocate() }
        var previous: UnsafeMutableRawPointer? = nil
        while out.count < limit {
            let result = bpf_map_get_next_key(fd, previous, next)
            if result != 0 {
                let code = errno
                if code == ENOENT { break }
                throw BPFError.call("bpf_map_get_next_key", on: subject, errno: code)
            }
            out.append(next.load(as: K.self))
            current.copyMemory(from: next, byteCount: size)
            previous = current
        }
        return out
    }

    /// The values at indices start..<start+count of an array map, read in batches.
    func arrayEntries<V: BitwiseCopyable>(as _: V.Type = V.self, start: Int = 0, count: Int) throws -> [V] {
        try batchArray(start: start, count: count, valueBytes: MemoryLayout<V>.size) { $0.load(as: V.self) }
    }

    /// Writes `values` at indices 0..<values.count of an array map in batches.
    package func updateArray(_ values: [UInt32]) throws {
        try updateBatch(keys: (0..<UInt32(values.count)).map { $0 }, values: values)
    }

    /// The per-CPU values at `key` of a per-CPU map, one per possible CPU.
    package func lookupPerCPU<K: BitwiseCopyable, V: BitwiseCopyable>(_ key: K, as _: V.Type = V.self) throws -> [V] {
        var key = key
        let cpus = try BPFSystem.possibleCPUs()
        let stride = (MemoryLayout<V>.size + 7) & ~7
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: stride * cpus)
        guard bpf_map_lookup_elem(fd, &key, buffer) == 0 else {
            throw BPFError.call("bpf_map_lookup_elem", on: subject, errno: errno)
        }
        return (0..<cpus).map { buffer.load(fromByteOffset: $0 * stride, as: V.self) }
    }

    /// Sets the per-CPU value at `key` to all-zero bytes on every CPU.
    func zeroPerCPU<K: BitwiseCopyable>(_ key: K, valueSize: Int) throws {
        var key = key
        let cpus = try BPFSystem.possibleCPUs()
        let stride = (valueSize + 7) & ~7
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: stride * cpus, alignment: 8)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: stride * cpus)
        guard bpf_map_update_elem(fd, &key, buffer, UInt64(BPF_ANY)) == 0 else {
            throw BPFError.call("bpf_map_update_elem", on: subject, errno: errno)
        }
    }

    /// The kernel's description of the map (type, sizes, flags, id).
    func info() throws -> bpf_map_info {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else {
            throw BPFError.call("bpf_obj_get_info_by_fd", on: subject, errno: errno)
        }
        return info
    }
}

/// An fd this module opened and must close: inner maps it created, maps and programs it
/// opened by id or pin path.
package final class OwnedFD {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

/// Facts about the running system that libbpf reports.
package enum BPFSystem {
    /// The number of possible CPUs: the number of values of a per-CPU map entry.
    package static func possibleCPUs() throws -> Int {
        let n = libbpf_num_possible_cpus()
        guard n > 0 else {
            throw BPFError.call("libbpf_num_possible_cpus", on: "/sys/devices/system/cpu/possible", errno: n)
        }
        return Int(n)
    }
}
