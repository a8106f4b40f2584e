import CLibBPF
import CUsherABI
import Foundation
import Testing
@testable import UsherBPF
import UsherTestSupport

/// XDP attach/detach on veths inside a temporary namespace.
@Suite("Attach", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct AttachTests {
    /// A namespace with a veth pair `xa-*`/`xb-*`, both up.
    static func lab() throws -> (LabNamespace, String, String) {
        let ns = try LabNamespace("at")
        let a = "xa-\(ns.suffix)", b = "xb-\(ns.suffix)"
        do {
            try ns.ip("link", "add", a, "type", "veth", "peer", "name", b)
            try ns.ip("link", "set", a, "up")
            try ns.ip("link", "set", b, "up")
        } catch {
            ns.remove()
            throw error
        }
        return (ns, a, b)
    }

    @Test("the balancer attaches bound to the pinned maps, is listed, replaced in place, and detached")
    func lifecycle() throws {
        let (ns, a, b) = try Self.lab()
        defer { ns.remove() }
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)

        let info = try ns.run { try dp.attach(interface: a, mode: .native) }
        #expect(info.interface == a && info.mode == .native && info.program == .balancer && info.programName == "usher_balance")
        if !info.viaDispatcher { #expect(info.note?.contains("dispatcher") == true, "says why it is alone") }
        #expect(try Shell.run("ip", "-n", ns.name, "link", "show", a).contains("prog/xdp id \(info.programID)"))
        #expect(try Self.mapIDs(ofProgram: info.programID).contains(try dp.maps.vips.info().id),
                "the attached program uses the pinned usher_vips_v2")

        _ = try ns.run { try dp.attach(interface: b, mode: .native, program: .pass) }
        let listed = try ns.run { try dp.attachments() }
        #expect(Set(listed.map { "\($0.interface) \($0.program)" }) == ["\(a) balancer", "\(b) pass"])

        let again = try ns.run { try dp.attach(interface: a, mode: .native) }
        #expect(again.programID != info.programID && again.note?.contains("replaced") == true)
        let wrongMode = #expect(throws: BPFError.self) { try ns.run { try dp.attach(interface: a, mode: .generic) } }
        #expect(wrongMode?.message.contains("detach it first") == true)

        #expect(try ns.run { try dp.detach(interface: a) })
        #expect(!(try Shell.run("ip", "-n", ns.name, "link", "show", a).contains("xdp")))
        #expect(try ns.run { try dp.detach(interface: a) } == false, "nothing left to detach")
        #expect(try ns.run { try dp.detach(interface: b, program: .pass) })
        #expect(try ns.run { try dp.attachments() }.isEmpty)
    }

    @Test("another program alone on the interface is named and never replaced nor detached")
    func foreignProgram() throws {
        let (ns, a, _) = try Self.lab()
        defer { ns.remove() }
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)
        let foreign = try Self.loadForeignProgram()
        defer { close(foreign) }
        let ifindex = try ns.run { if_nametoindex(a) }
        try ns.run {
            let result = bpf_xdp_attach(Int32(ifindex), foreign, UInt32(XDP_FLAGS_DRV_MODE), nil)
            if result != 0 { throw ShellError("attaching the foreign program: \(result)") }
        }

        let error = #expect(throws: BPFError.self) { try ns.run { try dp.attach(interface: a, mode: .native) } }
        #expect(error?.message.contains("foreign_xdp") == true)
        #expect(error?.message.contains("xdp-loader unload \(a) --all") == true)
        #expect(try ns.run { try dp.detach(interface: a) } == false)
        let still = try ns.run { () -> UInt32 in
            var id: UInt32 = 0
            _ = bpf_xdp_query_id(Int32(ifindex), 0, &id)
            return id
        }
        #expect(still != 0, "the other program is still attached")
    }

    /// A two-instruction XDP program (return XDP_PASS) that is not Usher's.
    static func loadForeignProgram() throws -> Int32 {
        var mov = bpf_insn(), exit = bpf_insn()
        mov.code = UInt8(BPF_ALU64 | BPF_MOV | BPF_K)
        mov.imm = 2 // XDP_PASS
        exit.code = UInt8(BPF_JMP | BPF_EXIT)
        let instructions = [mov, exit]
        let fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "foreign_xdp", "GPL", instructions, 2, nil)
        guard fd >= 0 else { throw ShellError("bpf_prog_load: \(String(cString: strerror(errno)))") }
        return fd
    }

    /// The ids of the maps a loaded program uses.
    /// Who replaces another build's balancer: apply's check of the interfaces it keeps, or
    /// `usher attach IFACE` run again after an upgrade.
    enum Replacer: CaseIterable { case applyCheck, attach }

    @Test("a balancer of another build (an older NAT table) is said so by status, replaced in place by apply's check or by attach, and its NAT entries carried over",
          arguments: Replacer.allCases)
    func anotherBuildReplaced(by replacer: Replacer) throws {
        let (ns, a, _) = try Self.lab()
        defer { ns.remove() }
        let pins = PinDir()
        defer { pins.remove() }
        let dp = try Dataplane(pinDirectory: pins.path)

        // The older build: the same program, its forward NAT table its own usher_nat_v1.
        let old = try dp.openProgramObject(ProgramName.balancer)
        let oldNAT = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.map_flags = UInt32(BPF_F_NO_COMMON_LRU)
            return bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "usher_nat_v1", UInt32(MemoryLayout<usher_flow_key>.size),
                                  UInt32(MemoryLayout<usher_nat_flow>.size), 4096, opts)
        }
        try #require(oldNAT >= 0, "bpf_map_create: errno \(errno)")
        defer { close(oldNAT) }
        let natMap = try old.map(named: "usher_nat_v2")
        bpf_map__set_pin_path(natMap, nil)
        try #require(bpf_map__reuse_fd(natMap, oldNAT) == 0)
        try old.load()
        var key = zeroed(usher_flow_key.self)
        key.sport = UInt16(40000).bigEndian
        key.family = 4
        key.proto = 6
        var flow = zeroed(usher_nat_flow.self)
        flow.real_id = 7
        try MapFD(fd: oldNAT, name: "usher_nat_v1").update(key, flow)
        let programFD = try old.programFD(named: ProgramName.balancer)
        try ns.run {
            let result = withLibbpfOptions(bpf_xdp_attach_opts.self) { bpf_xdp_attach(Int32(if_nametoindex(a)), programFD, UInt32(XDP_FLAGS_DRV_MODE), $0) }
            try #require(result == 0, "bpf_xdp_attach: \(result)")
        }
        let before = try #require(try ns.run { try dp.attachments() }.first)
        #expect(try dp.foreignTables(ofProgram: before.programID).map(\.name) == ["usher_nat_v1"])
        #expect(before.note?.contains("another build's balancer (its tables usher_nat_v1 are not this build's)") == true,
                "status says so: \(before)")

        let replaced = try #require(try ns.run {
            switch replacer {
            case .applyCheck: try dp.replaceIfAnotherBuild(interface: a)
            case .attach: try dp.attach(interface: a, mode: .native)
            }
        }, "another build's balancer is replaced")
        #expect(replaced.note?.contains("replaced usher_balance (id \(before.programID)) in place") == true, "\(replaced)")
        #expect(replaced.programID != before.programID && replaced.mode == .native)
        #expect(try dp.foreignTables(ofProgram: replaced.programID).isEmpty, "the new one uses the pinned tables")
        #expect(try dp.maps.natFlows.lookup(key, as: usher_nat_flow.self)?.real_id == 7, "the old table's flow carried over")
        #expect(try ns.run { try dp.replaceIfAnotherBuild(interface: a) } == nil, "this build's is left alone")
        #expect(try ns.run { try dp.attachments() }.first?.note == nil, "status has nothing to say of this build's")
    }

    static func mapIDs(ofProgram id: UInt32) throws -> [UInt32] {
        try Dataplane.maps(ofProgram: id).map(\.id)
    }
}
