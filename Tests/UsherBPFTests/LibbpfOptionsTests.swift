import CLibBPF
import Testing
@testable import UsherBPF

/// The options structs handed to libbpf and libxdp: libbpf refuses (EINVAL) a struct with a
/// non-zero byte past the fields it knows, padding included, so every byte but `sz` must be zero
/// (the release-build `usher decap attach` failure of issue 10; the end-to-end suite runs the
/// release binary: Tests/EndToEnd/test_decap.py).
@Suite("libbpf options")
struct LibbpfOptionsTests {
    /// The struct's bytes as `withLibbpfOptions` hands it over, after dirtying the stack the
    /// temporary may be carved from.
    static func bytes<T: LibbpfOptions>(of type: T.Type) -> [UInt8] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { dirt in
            dirt.initialize(repeating: 0xA5)
        }
        return withLibbpfOptions(type) { Array(UnsafeRawBufferPointer(start: $0, count: MemoryLayout<T>.size)) }
    }

    static func check<T: LibbpfOptions>(_ type: T.Type) {
        let raw = bytes(of: type)
        let size = raw.prefix(MemoryLayout<Int>.size).withUnsafeBytes { $0.loadUnaligned(as: Int.self) }
        #expect(size == MemoryLayout<T>.size, "\(T.self).sz")
        let dirty = raw.indices.dropFirst(MemoryLayout<Int>.size).filter { raw[$0] != 0 }
        #expect(dirty.isEmpty, "\(T.self): non-zero bytes at offsets \(dirty)")
    }

    @Test("every options struct Usher builds is zero but its sz, padding included")
    func zeroButSize() {
        Self.check(bpf_map_batch_opts.self)
        Self.check(bpf_map_create_opts.self)
        Self.check(bpf_object_open_opts.self)
        Self.check(bpf_tc_hook.self)
        Self.check(bpf_tc_opts.self)
        Self.check(bpf_test_run_opts.self)
        Self.check(bpf_xdp_attach_opts.self)
        Self.check(xdp_program_opts.self)
    }

    @Test("fields set through the pointer reach libbpf; the padding after them stays zero")
    func fieldsThenPadding() {
        let raw = withLibbpfOptions(bpf_tc_opts.self) { opts in
            opts.pointee.handle = 0x5553
            opts.pointee.priority = 0x5553
            return Array(UnsafeRawBufferPointer(start: opts, count: MemoryLayout<bpf_tc_opts>.size))
        }
        // bpf_tc_opts: sz, prog_fd, flags, prog_id, handle, priority, then padding to 8 bytes.
        let handle = MemoryLayout<bpf_tc_opts>.offset(of: \.handle)!
        let priority = MemoryLayout<bpf_tc_opts>.offset(of: \.priority)!
        #expect(raw[handle] == 0x53 && raw[handle + 1] == 0x55)
        #expect(raw[(priority + 4)...].allSatisfy { $0 == 0 }, "padding after priority: \(raw[(priority + 4)...])")
    }
}
