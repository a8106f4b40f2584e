import Foundation
import CLibBPF
import Testing
@testable import UsherBPF
import UsherTestSupport

@Suite("Pinned maps", .serialized, .enabled(if: Privileges.rootAndBPFFS, Privileges.requirement))
struct PinTests {
    @Test("a fresh pin directory gets every map pinned; a second instance reuses them")
    func createThenReuse() throws {
        let pins = PinDir()
        defer { pins.remove() }
        let first = try Dataplane(pinDirectory: pins.path)
        #expect(first.mapsWereCreated)
        let pinned = Set(try FileManager.default.contentsOfDirectory(atPath: pins.path))
        #expect(pinned == Set(MapName.all))

        let second = try Dataplane(pinDirectory: pins.path)
        #expect(!second.mapsWereCreated)
        // Same kernel maps: what one writes, the other reads.
        let a = try first.maps.global.info(), b = try second.maps.global.info()
        #expect(a.id == b.id)
    }

    @Test("a pinned map with another layout is refused by name, saying what to do")
    func incompatiblePin() throws {
        let pins = PinDir()
        defer { pins.remove() }
        _ = try Dataplane(pinDirectory: pins.path)
        // Replace usher_global_v2 by a map of another value size.
        unlink(pins.path + "/usher_global_v2")
        let fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "usher_global_v2", 4, 8, 1, nil)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(bpf_obj_pin(fd, pins.path + "/usher_global_v2") == 0)
        let error = #expect(throws: BPFError.self) { try Dataplane(pinDirectory: pins.path) }
        let text = error?.description ?? ""
        #expect(text.contains("pinned map usher_global_v2 has another layout"))
        #expect(text.contains("remove \(pins.path) or use another --pin-dir"))
    }

    @Test("a pin directory outside bpffs is refused with the mount command")
    func notBPFFS() throws {
        let error = #expect(throws: BPFError.self) { try Dataplane(pinDirectory: "/tmp/usher-not-bpffs-\(getpid())") }
        #expect(error?.description.contains("mount -t bpf bpf /sys/fs/bpf") == true)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/usher-not-bpffs-\(getpid())"))
    }
}
