import CLibBPF
import Foundation

/// One opened (and possibly loaded) embedded BPF object. It owns the `bpf_object` and the copy
/// of the ELF image libbpf reads from, and frees both in `deinit`; map and program fds taken from
/// it are valid while it lives. Every libbpf call on objects goes through here.
package final class BPFObject {
    package let name: String
    let pointer: OpaquePointer
    private let image: UnsafeMutableRawBufferPointer

    /// Opens the embedded object `name`. Maps with `pinning = LIBBPF_PIN_BY_NAME` get their pin
    /// path under `pinRoot`; only the programs in `programs` will be loaded (none: maps only).
    convenience init(embedded name: String, pinRoot: String?, programs: Set<String>) throws {
        guard let object = EmbeddedObject.named(name) else {
            throw BPFError(call: "open", subject: "embedded object \(name)",
                           message: "this build has no BPF/\(name).c; rebuild Usher")
        }
        try self.init(name: name, image: object.bytes, pinRoot: pinRoot, programs: programs)
    }

    /// Opens the ELF object `bytes` as `name` (the benchmark kit's objects, which `usher` does
    /// not embed); otherwise as `init(embedded:pinRoot:programs:)`.
    package init(name: String, image bytes: [UInt8], pinRoot: String?, programs: Set<String>) throws {
        LibraryLog.install()
        self.name = name
        let image = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
        image.copyBytes(from: bytes)
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
    package func load() throws {
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
    package func mapFD(named mapName: String) throws -> MapFD {
        let fd = bpf_map__fd(try map(named: mapName))
        guard fd >= 0 else {
            throw BPFError(call: "bpf_map__fd", subject: "map \(mapName)", message: "the object \(name) is not loaded")
        }
        return MapFD(fd: fd, name: mapName)
    }

    /// A loaded program's fd.
    package func programFD(named programName: String) throws -> Int32 {
        let fd = bpf_program__fd(try program(named: programName))
        guard fd >= 0 else {
            throw BPFError(call: "bpf_program__fd", subject: "program \(programName)",
                           message: "it was not loaded (object \(name))")
        }
        return fd
    }
}

extension BPFObject {
    /// Binds map `mapName` (before `load()`) to a new map of its own type, key and value, of
    /// `entries` elements made with `flags` (by default those of its definition), never pinned,
    /// instead of the pinned one: the benchmark's private tables. The returned fd must outlive
    /// the object's use of the map.
    package func bindNewMap(named mapName: String, entries: UInt32? = nil, flags: UInt32? = nil) throws -> OwnedFD {
        let map = try map(named: mapName)
        let keySize = bpf_map__key_size(map), valueSize = bpf_map__value_size(map)
        let entries = entries ?? bpf_map__max_entries(map), flags = flags ?? bpf_map__map_flags(map)
        // The same name: libbpf renames the map after the fd it reuses.
        let fd = withLibbpfOptions(bpf_map_create_opts.self) { opts in
            opts.pointee.map_flags = flags
            return bpf_map_create(bpf_map__type(map), mapName, keySize, valueSize, entries, opts)
        }
        guard fd >= 0 else {
            let megabytes = UInt64(entries) * UInt64(keySize + valueSize + 64) / 1_000_000
            throw BPFError.call("bpf_map_create", on: "map \(mapName) of \(entries) entries", errno: errno,
                                hint: "it needs about \(megabytes) MB of kernel memory")
        }
        let owned = OwnedFD(fd)
        bpf_map__set_pin_path(map, nil)
        guard bpf_map__reuse_fd(map, fd) == 0 else {
            throw BPFError.call("bpf_map__reuse_fd", on: "map \(mapName)", errno: errno)
        }
        return owned
    }
}

/// Calls `body` with a C string for `text`, or nil.
func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) throws -> R) rethrows -> R {
    guard let text else { return try body(nil) }
    return try text.withCString { try body($0) }
}
