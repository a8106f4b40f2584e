import CLibBPF
import Foundation
import UsherCore

extension Dataplane {
    /// Attaches `program` to `interface` (current network namespace) in `mode`.
    ///
    /// Through libxdp, so Usher runs beside other XDP programs where libxdp's dispatcher works;
    /// where it does not (this kernel), libxdp attaches the program alone, and `viaDispatcher`
    /// says which happened. Usher's own program already there is replaced atomically (an
    /// upgrade); another program alone on the interface is never replaced: that is an error
    /// naming it and how to remove it. If libxdp fails otherwise, `bpf_xdp_attach` is tried
    /// (and `note` says so). A balancer of another build there (an upgrade's old program, on
    /// tables this build no longer writes) is replaced as `apply` replaces it
    /// (`replaceIfAnotherBuild`), also under libxdp's dispatcher, where this build's own is
    /// left as it is.
    public func attach(interface: String, mode: XDPMode, program: AttachProgram = .balancer) throws -> AttachmentInfo {
        let hook = try XDPHook(interface: interface)
        try checkAttach(program, on: hook, mode: mode)
        if program == .balancer, let info = try replaceIfAnotherBuild(on: hook) {
            return info
        }
        return try attachChecked(program, on: hook, mode: mode)
    }

    /// Refuses an attach that would replace a program that is not Usher's, or change the mode
    /// of Usher's on the hook.
    private func checkAttach(_ program: AttachProgram, on hook: XDPHook, mode: XDPMode) throws {
        let interface = hook.interface
        if !hook.viaDispatcher, let foreign = hook.foreignPrograms.first {
            throw BPFError(call: "attach", subject: "interface \(interface)",
                           message: "it already carries XDP program \(foreign.name) (id \(foreign.id)), which is not Usher's; " +
                               "remove it first (`xdp-loader unload \(interface) --all` or `ip link set dev \(interface) xdp off`) " +
                               "or choose another interface")
        }
        if let current = hook.mode, let ours = hook.usherPrograms.first, current != mode {
            throw BPFError(call: "attach", subject: "interface \(interface)",
                           message: "it carries \(ours.1.name) in \(current) mode; detach it first (`usher detach \(interface) --program \(ours.0.rawValue)`) " +
                               "to attach in \(mode) mode")
        }
    }

    /// Attaches `program` to the hook that `checkAttach` accepted: nothing more if it is there
    /// under the dispatcher, in place of Usher's program alone on the hook, else anew.
    func attachChecked(_ program: AttachProgram, on hook: XDPHook, mode: XDPMode) throws -> AttachmentInfo {
        let interface = hook.interface
        if hook.viaDispatcher, let existing = hook.info(program, note: "already attached") {
            return existing
        }
        if !hook.viaDispatcher, let ours = hook.usherPrograms.first {
            return try replace(ours.1, on: hook, with: program, mode: mode)
        }

        var note: String?
        let object = try openAttachObject(program)
        if let (code, said) = XDPHook.attachWithLibxdp(object: object, programName: program.programName, ifindex: hook.ifindex, mode: mode) {
            if -code == EEXIST || -code == EBUSY {
                throw BPFError.call("xdp_program__attach", on: "interface \(interface)", errno: code,
                                    hint: "another XDP program took the interface meanwhile; see `xdp-loader status \(interface)`" + said)
            }
            let fresh = try openAttachObject(program)
            try fresh.load()
            let flags = UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST) | XDPHook.flags(mode)
            let programFD = try fresh.programFD(named: program.programName)
            let result = withLibbpfOptions(bpf_xdp_attach_opts.self) { bpf_xdp_attach(Int32(hook.ifindex), programFD, flags, $0) }
            guard result == 0 else {
                throw BPFError.call("bpf_xdp_attach", on: "interface \(interface)", errno: result,
                                    hint: BPFError.hint(for: -result) + " (libxdp had failed first: \(String(cString: strerror(-code))))" + said)
            }
            note = "libxdp could not attach (\(String(cString: strerror(-code)))); attached with bpf_xdp_attach"
        }
        let after = try XDPHook(interface: interface)
        if note == nil, !after.viaDispatcher {
            let said = LibraryLog.tail(60)
            let reason = said.first { $0.contains("Compatibility check") }
                ?? said.first { $0.localizedCaseInsensitiveContains("dispatcher") && $0.contains("fail") }
            note = "libxdp's dispatcher is unavailable here" + (reason.map { " (\($0))" } ?? "")
        }
        guard let info = after.info(program, note: note) else {
            throw BPFError(call: "attach", subject: "interface \(interface)",
                           message: "the attach reported success but \(program.programName) is not on the interface; see `xdp-loader status \(interface)`")
        }
        return info
    }

    /// Removes Usher's `program` from `interface`, and nothing else. Returns false when it was
    /// not attached there (nothing to do).
    @discardableResult
    public func detach(interface: String, program: AttachProgram = .balancer) throws -> Bool {
        let hook = try XDPHook(interface: interface)
        guard let mode = hook.mode, let ours = hook.usherPrograms.first(where: { $0.0 == program })?.1 else { return false }
        if hook.viaDispatcher {
            LibraryLog.reset()
            guard let component = xdp_program__from_id(ours.id), libxdp_get_error(UnsafeRawPointer(component)) == 0 else {
                throw BPFError.call("xdp_program__from_id", on: "program id \(ours.id) on \(interface)", errno: errno)
            }
            defer { xdp_program__close(component) }
            let result = xdp_program__detach(component, Int32(hook.ifindex), mode == .native ? XDP_MODE_NATIVE : XDP_MODE_SKB, 0)
            guard result == 0 else {
                throw BPFError.call("xdp_program__detach", on: "interface \(interface)", errno: result,
                                    hint: BPFError.hint(for: -result) + LibraryLog.tailForMessage())
            }
            return true
        }
        // Alone on the hook: remove it only if it is still the program we looked at.
        let old = try XDPHook.programFD(id: ours.id, interface: interface)
        let result = withLibbpfOptions(bpf_xdp_attach_opts.self) { opts in
            opts.pointee.old_prog_fd = old.fd
            return bpf_xdp_detach(Int32(hook.ifindex), XDPHook.flags(mode) | UInt32(XDP_FLAGS_REPLACE), opts)
        }
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_detach", on: "interface \(interface)", errno: result)
        }
        return true
    }

    /// Usher's programs on the interfaces of the current network namespace.
    public func attachments() throws -> [AttachmentInfo] {
        guard let list = if_nameindex() else {
            throw BPFError.call("if_nameindex", on: "this network namespace", errno: errno)
        }
        defer { if_freenameindex(list) }
        var names: [String] = []
        var index = 0
        while list[index].if_index != 0, let name = list[index].if_name {
            names.append(String(cString: name))
            index += 1
        }
        var out: [AttachmentInfo] = []
        for name in names {
            let hook: XDPHook
            do {
                hook = try XDPHook(interface: name)
            } catch let error as BPFError where error.errno == ENODEV {
                continue // the interface vanished meanwhile
            }
            out += hook.usherPrograms.compactMap { program, found in
                hook.info(program, note: program == .balancer ? anotherBuildNote(programID: found.id) : nil)
            }
        }
        return out
    }

    // MARK: Pieces

    /// The embedded object of `program`, its maps bound to the pinned ones.
    private func openAttachObject(_ program: AttachProgram) throws -> BPFObject {
        try BPFObject(embedded: program.objectName, pinRoot: pinDirectory, programs: [program.programName])
    }

    /// Replaces our program alone on the hook with a freshly loaded `program`, atomically
    /// (XDP_FLAGS_REPLACE: fails if someone else changed the hook meanwhile).
    func replace(_ old: XDPHook.Program, on hook: XDPHook, with program: AttachProgram, mode: XDPMode) throws -> AttachmentInfo {
        let object = try openAttachObject(program)
        try object.load()
        let oldFD = try XDPHook.programFD(id: old.id, interface: hook.interface)
        let flags = XDPHook.flags(mode) | UInt32(XDP_FLAGS_REPLACE)
        let programFD = try object.programFD(named: program.programName)
        let result = withLibbpfOptions(bpf_xdp_attach_opts.self) { opts in
            opts.pointee.old_prog_fd = oldFD.fd
            return bpf_xdp_attach(Int32(hook.ifindex), programFD, flags, opts)
        }
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_attach", on: "interface \(hook.interface)", errno: result)
        }
        let after = try XDPHook(interface: hook.interface)
        guard let info = after.info(program, note: "replaced \(old.name) (id \(old.id)) in place") else {
            throw BPFError(call: "attach", subject: "interface \(hook.interface)",
                           message: "the replacement reported success but \(program.programName) is not on the interface")
        }
        return info
    }
}
