import CLibBPF
import Foundation

/// An options struct of libbpf or libxdp (`bpf_tc_opts`, `bpf_test_run_opts`, …): `sz` first,
/// the bytes the caller knows of. The library refuses (EINVAL) a struct with any non-zero byte
/// past the fields of its own version, padding included (libbpf's `OPTS_VALID`). Swift's `T()`
/// zeroes the fields only: in a release build the padding holds whatever the stack held, which
/// is how `usher decap attach` failed there and worked in a debug build. So every one of these
/// structs is made by ``withLibbpfOptions(_:_:)``, never by `T()`.
package protocol LibbpfOptions {
    var sz: Int { get set }
}

extension bpf_map_batch_opts: LibbpfOptions {}
extension bpf_map_create_opts: LibbpfOptions {}
extension bpf_object_open_opts: LibbpfOptions {}
extension bpf_tc_hook: LibbpfOptions {}
extension bpf_tc_opts: LibbpfOptions {}
extension bpf_test_run_opts: LibbpfOptions {}
extension bpf_xdp_attach_opts: LibbpfOptions {}
extension xdp_program_opts: LibbpfOptions {}

/// Calls `body` with an options struct of type `T` whose every byte is zero but `sz`, which
/// holds the struct's size. The struct lives in memory zeroed whole for the call; `body` sets
/// its fields through the pointer, one by one, and must not assign the whole struct (a Swift
/// value's padding is undefined) nor keep the pointer.
package func withLibbpfOptions<T: LibbpfOptions, R>(
    _: T.Type, _ body: (UnsafeMutablePointer<T>) throws -> R
) rethrows -> R {
    try withUnsafeTemporaryAllocation(of: T.self, capacity: 1) { buffer in
        // capacity 1 of a non-empty type: the address always exists.
        let options = buffer.baseAddress.unsafelyUnwrapped
        memset(options, 0, MemoryLayout<T>.size)
        options.pointee.sz = MemoryLayout<T>.size
        return try body(options)
    }
}
