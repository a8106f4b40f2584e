import CLibBPF
import Foundation

/// The real-server side of dsr-ipip: the embedded `usher_decap` program on an interface's tc
/// ingress (clsact), stripping the outer IPv4/IPv6 header so the client's packet reaches the
/// VIP held on loopback. Uses a fixed filter handle and priority, so attaching again replaces
/// Usher's filter in place and detaching removes only it.
public enum Decap {
    /// tc filter handle and priority of Usher's filter ("US").
    static let handle: UInt32 = 0x5553
    static let priority: UInt32 = 0x5553

    /// Attaches (or re-attaches) the decapsulation program to `interface`'s tc ingress in the
    /// current network namespace, creating the clsact qdisc if needed. Idempotent.
    public static func attach(interface: String) throws {
        try withIngressHook(interface) { hook in
            let created = bpf_tc_hook_create(hook)
            guard created == 0 || -created == EEXIST else {
                throw BPFError.call("bpf_tc_hook_create", on: "tc ingress of \(interface)", errno: created)
            }
            if let current = try attachedProgram(hook, interface: interface), current.name != ProgramName.decap {
                throw BPFError(call: "bpf_tc_attach", subject: "tc ingress of \(interface)",
                               message: "filter handle 0x\(String(handle, radix: 16)) priority \(priority) holds program \(current.name) (id \(current.id)), " +
                                   "which is not Usher's; remove it (`tc filter del dev \(interface) ingress`) or leave this interface alone")
            }
            let object = try BPFObject(embedded: "usher_decap", pinRoot: nil, programs: [ProgramName.decap])
            try object.load()
            let programFD = try object.programFD(named: ProgramName.decap)
            let result = withFilterOptions { opts in
                opts.pointee.prog_fd = programFD
                opts.pointee.flags = UInt32(BPF_TC_F_REPLACE.rawValue)
                return bpf_tc_attach(hook, opts)
            }
            guard result == 0 else {
                throw BPFError.call("bpf_tc_attach", on: "tc ingress of \(interface)", errno: result)
            }
        }
    }

    /// Removes Usher's filter from `interface`'s tc ingress; other filters and the clsact
    /// qdisc stay. Returns false if it was not there.
    @discardableResult
    public static func detach(interface: String) throws -> Bool {
        try withIngressHook(interface) { hook in
            guard let current = try attachedProgram(hook, interface: interface), current.name == ProgramName.decap else { return false }
            let result = withFilterOptions { bpf_tc_detach(hook, $0) }
            guard result == 0 || -result == ENOENT else {
                throw BPFError.call("bpf_tc_detach", on: "tc ingress of \(interface)", errno: result)
            }
            return result == 0
        }
    }

    /// Whether Usher's decapsulation program is on `interface`'s tc ingress.
    public static func isAttached(interface: String) throws -> Bool {
        try withIngressHook(interface) { try attachedProgram($0, interface: interface)?.name == ProgramName.decap }
    }

    // MARK: Pieces

    /// Calls `body` with the tc ingress hook of `interface` (libbpf options: LibbpfOptions.swift).
    private static func withIngressHook<R>(_ interface: String, _ body: (UnsafeMutablePointer<bpf_tc_hook>) throws -> R) throws -> R {
        LibraryLog.install()
        let ifindex = Int32(try XDPHook.ifindex(of: interface))
        return try withLibbpfOptions(bpf_tc_hook.self) { hook in
            hook.pointee.ifindex = ifindex
            hook.pointee.attach_point = BPF_TC_INGRESS
            return try body(hook)
        }
    }

    /// Calls `body` with filter options naming Usher's slot (handle, priority), the rest zero.
    private static func withFilterOptions<R>(_ body: (UnsafeMutablePointer<bpf_tc_opts>) throws -> R) rethrows -> R {
        try withLibbpfOptions(bpf_tc_opts.self) { opts in
            opts.pointee.handle = handle
            opts.pointee.priority = priority
            return try body(opts)
        }
    }

    /// The program in Usher's filter slot (handle, priority), or nil if the slot is empty.
    private static func attachedProgram(_ hook: UnsafeMutablePointer<bpf_tc_hook>, interface: String) throws -> (id: UInt32, name: String)? {
        let (result, programID) = withFilterOptions { opts in (bpf_tc_query(hook, opts), opts.pointee.prog_id) }
        if -result == ENOENT || -result == EINVAL { return nil } // no filter there, or no clsact qdisc
        guard result == 0 else {
            throw BPFError.call("bpf_tc_query", on: "tc ingress of \(interface)", errno: result)
        }
        let fd = try XDPHook.programFD(id: programID, interface: interface)
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd.fd, &info, &length) == 0 else {
            throw BPFError.call("bpf_obj_get_info_by_fd", on: "program id \(programID)", errno: errno)
        }
        let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (programID, name)
    }
}
