import CLibBPF
import Foundation
import UsherCore

/// An interface's XDP hook as libxdp sees it: nothing, one program alone ("legacy"), or
/// libxdp's dispatcher running component programs. Every libxdp call of this module is here.
struct XDPHook {
    struct Program {
        var id: UInt32
        var name: String
    }

    let interface: String
    let ifindex: UInt32
    /// nil when no XDP program is attached.
    var mode: XDPMode?
    var viaDispatcher = false
    /// The attached program (alone), or the dispatcher's components.
    var programs: [Program] = []

    /// Reads the hook of `interface` in the current network namespace.
    init(interface: String) throws {
        self.interface = interface
        ifindex = try Self.ifindex(of: interface)
        LibraryLog.install()
        guard let multiprog = xdp_multiprog__get_from_ifindex(Int32(ifindex)) else { return }
        let error = libxdp_get_error(UnsafeRawPointer(multiprog))
        if error == -Int(ENOENT) { return }
        guard error == 0 else {
            throw BPFError.call("xdp_multiprog__get_from_ifindex", on: "interface \(interface)", errno: Int32(error))
        }
        defer { xdp_multiprog__close(multiprog) }
        switch xdp_multiprog__attach_mode(multiprog) {
        case XDP_MODE_NATIVE: mode = .native
        case XDP_MODE_SKB: mode = .generic
        default: mode = nil
        }
        if xdp_multiprog__is_legacy(multiprog) {
            if let main = xdp_multiprog__main_prog(multiprog) {
                programs = [Program(id: xdp_program__id(main), name: String(cString: xdp_program__name(main)))]
            }
        } else {
            viaDispatcher = true
            var program = xdp_multiprog__next_prog(nil, multiprog)
            while let current = program {
                programs.append(Program(id: xdp_program__id(current), name: String(cString: xdp_program__name(current))))
                program = xdp_multiprog__next_prog(current, multiprog)
            }
        }
        if mode == nil, !programs.isEmpty { mode = .native } // offloaded (HW): reported as native
    }

    /// The interface index, or an error naming the interface and the namespace rule.
    static func ifindex(of interface: String) throws -> UInt32 {
        let index = if_nametoindex(interface)
        guard index != 0 else {
            throw BPFError(call: "if_nametoindex", subject: "interface \(interface)", errno: ENODEV,
                           message: "there is no such interface in this network namespace (use nsenter --net=... to act inside another)")
        }
        return index
    }

    /// The first program of ours (any `AttachProgram`) on the hook, if any.
    var usherPrograms: [(AttachProgram, Program)] {
        programs.compactMap { program in AttachProgram(programName: program.name).map { ($0, program) } }
    }

    /// Programs on the hook that are not Usher's.
    var foreignPrograms: [Program] {
        programs.filter { AttachProgram(programName: $0.name) == nil }
    }

    /// The AttachmentInfo of one of our programs on this hook.
    func info(_ program: AttachProgram, note: String? = nil) -> AttachmentInfo? {
        guard let mode, let found = usherPrograms.first(where: { $0.0 == program })?.1 else { return nil }
        return AttachmentInfo(interface: interface, ifindex: ifindex, mode: mode, program: program, programID: found.id,
                              programName: found.name, viaDispatcher: viaDispatcher, note: note)
    }

    /// Attaches `programName` of `object` through libxdp (dispatcher if it works, else alone).
    /// Returns nil on success, or libxdp's error (negative errno) and what it said.
    static func attachWithLibxdp(object: BPFObject, programName: String, ifindex: UInt32, mode: XDPMode) -> (Int32, String)? {
        LibraryLog.reset()
        let program: OpaquePointer? = programName.withCString { name in
            withLibbpfOptions(xdp_program_opts.self) { opts in
                opts.pointee.obj = object.pointer
                opts.pointee.prog_name = name
                return xdp_program__create(opts)
            }
        }
        let createError = program.map { libxdp_get_error(UnsafeRawPointer($0)) } ?? -Int(ENOMEM)
        guard let program, createError == 0 else {
            return (Int32(createError), LibraryLog.tailForMessage())
        }
        defer { xdp_program__close(program) }
        let result = xdp_program__attach(program, Int32(ifindex), mode == .native ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0)
        return result == 0 ? nil : (result, LibraryLog.tailForMessage())
    }

    /// The XDP_FLAGS_* mode bit of a mode.
    static func flags(_ mode: XDPMode) -> UInt32 {
        UInt32(mode == .native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE)
    }

    /// An fd of the program with this id (to name it as the program to replace or remove).
    static func programFD(id: UInt32, interface: String) throws -> OwnedFD {
        let fd = bpf_prog_get_fd_by_id(id)
        guard fd >= 0 else {
            throw BPFError.call("bpf_prog_get_fd_by_id", on: "program id \(id) on \(interface)", errno: errno)
        }
        return OwnedFD(fd)
    }
}
