import CLibBPF
import Foundation

/// A program attached alone, in native mode, straight through libbpf (no libxdp dispatcher):
/// the benchmark lab's receivers, wire and floor on its own veths.
package enum NativeXDP {
    /// Attaches the loaded program `programFD` to `interface` of the calling thread's network
    /// namespace (nothing may be attached there yet); returns the interface's index.
    package static func attach(programFD: Int32, interface: String, programName: String) throws -> UInt32 {
        let ifindex = try XDPHook.ifindex(of: interface)
        let flags = UInt32(XDP_FLAGS_DRV_MODE) | UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST)
        let result = bpf_xdp_attach(Int32(ifindex), programFD, flags, nil)
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_attach", on: "interface \(interface) (\(programName))", errno: -result,
                                hint: BPFError.hint(for: -result))
        }
        return ifindex
    }

    /// Removes the native-mode program of interface `ifindex` (call it in the interface's namespace).
    package static func detach(ifindex: UInt32, interface: String) throws {
        let result = bpf_xdp_detach(Int32(ifindex), UInt32(XDP_FLAGS_DRV_MODE), nil)
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_detach", on: "interface \(interface)", errno: -result)
        }
    }
}
