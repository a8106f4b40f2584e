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
        var hook = try ingressHook(interface)
        let created = bpf_tc_hook_create(&hook)
        guard created == 0 || -created == EEXIST else {
            throw BPFError.call("bpf_tc_hook_create", on: "tc ingress of \(interface)", errno: created)
        }
        if let current = try attachedProgram(&hook, interface: interface), current.name != ProgramName.decap {
            throw BPFError(call: "bpf_tc_attach", subject: "tc ingress of \(interface)",
                           message: "filter handle 0x\(String(handle, radix: 16)) priority \(priority) holds program \(current.name) (id \(current.id)), " +
                               "which is not Usher's; remove it (`tc filter del dev \(interface) ingress`) or leave this interface alone")
        }
        let object = try BPFObject(embedded: "usher_decap", pinRoot: nil, programs: [ProgramName.decap])
        try object.load()
        var opts = bpf_tc_opts()
        opts.sz = MemoryLayout<bpf_tc_opts>.size
        opts.prog_fd = try object.programFD(named: ProgramName.decap)
        opts.handle = handle
        opts.priority = priority
        opts.flags = UInt32(BPF_TC_F_REPLACE.rawValue)
        let result = bpf_tc_attach(&hook, &opts)
        guard result == 0 else {
            throw BPFError.call("bpf_tc_attach", on: "tc ingress of \(interface)", errno: result)
        }
    }

    /// Removes Usher's filter from `interface`'s tc ingress; other filters and the clsact
    /// qdisc stay. Returns false if it was not there.
    @discardableResult
    public static func detach(interface: String) throws -> Bool {
        var hook = try ingressHook(interface)
        guard let current = try attachedProgram(&hook, interface: interface), current.name == ProgramName.decap else { return false }
        var opts = bpf_tc_opts()
        opts.sz = MemoryLayout<bpf_tc_opts>.size
        opts.handle = handle
        opts.priority = priority
        let result = bpf_tc_detach(&hook, &opts)
        guard result == 0 || -result == ENOENT else {
            throw BPFError.call("bpf_tc_detach", on: "tc ingress of \(interface)", errno: result)
        }
        return result == 0
    }

    /// Whether Usher's decapsulation program is on `interface`'s tc ingress.
    public static func isAttached(interface: String) throws -> Bool {
        var hook = try ingressHook(interface)
        return try attachedProgram(&hook, interface: interface)?.name == ProgramName.decap
    }

    // MARK: Pieces

    private static func ingressHook(_ interface: String) throws -> bpf_tc_hook {
        LibraryLog.install()
        var hook = bpf_tc_hook()
        hook.sz = MemoryLayout<bpf_tc_hook>.size
        hook.ifindex = Int32(try XDPHook.ifindex(of: interface))
        hook.attach_point = BPF_TC_INGRESS
        return hook
    }

    /// The program in Usher's filter slot (handle, priority), or nil if the slot is empty.
    private static func attachedProgram(_ hook: inout bpf_tc_hook, interface: String) throws -> (id: UInt32, name: String)? {
        var opts = bpf_tc_opts()
        opts.sz = MemoryLayout<bpf_tc_opts>.size
        opts.handle = handle
        opts.priority = priority
        let result = bpf_tc_query(&hook, &opts)
        if -result == ENOENT || -result == EINVAL { return nil } // no filter there, or no clsact qdisc
        guard result == 0 else {
            throw BPFError.call("bpf_tc_query", on: "tc ingress of \(interface)", errno: result)
        }
        let fd = try XDPHook.programFD(id: opts.prog_id, interface: interface)
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        guard bpf_obj_get_info_by_fd(fd.fd, &info, &length) == 0 else {
            throw BPFError.call("bpf_obj_get_info_by_fd", on: "program id \(opts.prog_id)", errno: errno)
        }
        let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return (opts.prog_id, name)
    }
}
