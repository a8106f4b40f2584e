import CLibBPF
import Foundation
import Testing
@testable import UsherBPF
import UsherTestSupport

/// The embedded objects, loaded through the running kernel's verifier.
@Suite("Verifier", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct VerifierTests {
    @Test("usher_xdp's usher_balance, usher_decap and usher_pass load through the real verifier",
          arguments: [("usher_xdp", ProgramName.balancer, BPF_PROG_TYPE_XDP),
                      ("usher_decap", ProgramName.decap, BPF_PROG_TYPE_SCHED_CLS),
                      ("usher_pass", ProgramName.pass, BPF_PROG_TYPE_XDP)])
    func loads(object name: String, program: String, type: bpf_prog_type) throws {
        let pins = PinDir() // usher_xdp pins its maps: keep them out of /sys/fs/bpf itself
        defer { pins.remove() }
        try FileManager.default.createDirectory(atPath: pins.path, withIntermediateDirectories: true)
        let object = try BPFObject(embedded: name, pinRoot: pins.path, programs: [program])
        try object.load()
        let fd = try object.programFD(named: program)
        var info = bpf_prog_info()
        var length = UInt32(MemoryLayout<bpf_prog_info>.size)
        #expect(bpf_obj_get_info_by_fd(fd, &info, &length) == 0)
        #expect(info.type == type.rawValue)
        #expect(info.xlated_prog_len > 0, "the verifier accepted it and the kernel holds its instructions")
    }

    @Test("a load failure names the object and quotes libbpf, instead of printing over the CLI")
    func loadFailureIsExplained() throws {
        // usher_balance needs its maps; pointing pins at a directory holding a wrong map makes
        // libbpf refuse, and the error must carry what it said.
        let pins = PinDir()
        defer { pins.remove() }
        try FileManager.default.createDirectory(atPath: pins.path, withIntermediateDirectories: true)
        let fd = bpf_map_create(BPF_MAP_TYPE_HASH, "usher_vips_v2", 4, 4, 1, nil)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(bpf_obj_pin(fd, pins.path + "/usher_vips_v2") == 0)
        let object = try BPFObject(embedded: "usher_xdp", pinRoot: pins.path, programs: [ProgramName.balancer])
        let error = #expect(throws: BPFError.self) { try object.load() }
        #expect(error?.call == "bpf_object__load")
        #expect(error?.message.contains("libbpf said:") == true)
        #expect(error?.message.contains("usher_vips_v2") == true)
    }
}
