import CLibBPF
import Foundation

/// One opened (and possibly loaded) embedded BPF object. It owns the `bpf_object` and the copy
/// of the ELF image libbpf reads from, and frees both in `deinit`; map and program fds taken from
/// it are valid while it lives. Every libbpf call on objects goes through here.
final class BPFObject {
    let name: String
    let pointer: OpaquePointer
    private let image: UnsafeMutableRawBufferPointer

    /// Opens the embedded object `name`. Maps with `pinning = LIBBPF_PIN_BY_NAME` get their pin
    /// path under `pinRoot`; only the programs in `programs` will be loaded (none: maps only).
    init(embedded name: String, pinRoot: String?, programs: Set<String>) throws {
        LibraryLog.install()
        guard let object = EmbeddedObject.named(name) else {
            throw BPFError(call: "open", subject: "embedded object \(name)",
                           message: "this build has no BPF/\(name).c; rebuild Usher")
        }
        self.name = name
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: object.bytes.count, alignment: 8)
        image.copyBytes(from: object.bytes)
        self.image = image
        LibraryLog.reset()
        let opened: OpaquePointer? = name.withCString { objectName in
            withOptionalCString(pinRoot) { root in
                withLibbpfOptions(bpf_object_open_opts.self) { opts in
                    opts.pointee.object_name = objectName
                    opts.pointee.pin_root_path = root
                    return bpf_object__open_mem(image.baseAddress, image.count, opts)
                }
            }
        }
        guard let opened else {
            let code = errno
            image.deallocate()
            throw BPFError.call("bpf_object__open_mem", on: "object \(name)", errno: code,
                                hint: "the embedded object is damaged; rebuild Usher" + LibraryLog.tailForMessage())
        }
        pointer = opened
        for program in self.programs {
            let programName = String(cString: bpf_program__name(program))
            bpf_program__set_autoload(program, programs.contains(programName))
        }
    }

    deinit {
        bpf_object__close(pointer)
        image.deallocate()
    }

    /// Every map of the object, in definition order.
    var maps: [OpaquePointer] {
        var out: [OpaquePointer] = []
        var map = bpf_object__next_map(pointer, nil)
        while let current = map {
            out.append(current)
            map = bpf_object__next_map(pointer, current)
        }
        return out
    }

    /// Every program of the object.
    var programs: [OpaquePointer] {
        var out: [OpaquePointer] = []
        var program = bpf_object__next_program(pointer, nil)
        while let current = program {
            out.append(current)
            program = bpf_object__next_program(pointer, current)
        }
        return out
    }

    /// Creates the maps (or reuses the pinned ones) and loads the selected programs through
    /// the verifier. A failure quotes what libbpf said (the verifier's last lines).
    func load() throws {
        LibraryLog.reset()
        let result = bpf_object__load(pointer)
        guard result == 0 else {
            let code = result < 0 ? -result : errno
            var hint = BPFError.hint(for: code)
            if code == EACCES || code == EINVAL {
                hint = "the kernel refused it (the verifier or a map); " +
                    "rerun with USHER_DEBUG=1 for libbpf's full log"
            }
            throw BPFError.call("bpf_object__load", on: "object \(name)", errno: code,
                                hint: hint + LibraryLog.tailForMessage())
        }
    }

    func map(named mapName: String) throws -> OpaquePointer {
        guard let map = bpf_object__find_map_by_name(pointer, mapName) else {
            throw BPFError(call: "bpf_object__find_map_by_name", subject: "object \(name)",
                           message: "it has no map \(mapName); this build does not match the data plane's contract")
        }
        return map
    }

    func program(named programName: String) throws -> OpaquePointer {
        guard let program = bpf_object__find_program_by_name(pointer, programName) else {
            throw BPFError(call: "bpf_object__find_program_by_name", subject: "object \(name)",
                           message: "it has no program \(programName); this build does not match the data plane's contract")
        }
        return program
    }

    /// A map's fd after `load()`, wrapped for typed access.
    func mapFD(named mapName: String) throws -> MapFD {
        let fd = bpf_map__fd(try map(named: mapName))
        guard fd >= 0 else {
            throw BPFError(call: "bpf_map__fd", subject: "map \(mapName)", message: "the object \(name) is not loaded")
        }
        return MapFD(fd: fd, name: mapName)
    }

    /// A loaded program's fd.
    func programFD(named programName: String) throws -> Int32 {
        let fd = bpf_program__fd(try program(named: programName))
        guard fd >= 0 else {
            throw BPFError(call: "bpf_program__fd", subject: "program \(programName)",
                           message: "it was not loaded (object \(name))")
        }
        return fd
    }
}

/// Calls `body` with a C string for `text`, or nil.
func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let text else { return try body(nil) }
    return try text.withCString { try body($0) }
}
