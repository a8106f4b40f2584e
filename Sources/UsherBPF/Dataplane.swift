import CLibBPF
import CUsherABI
import Foundation
import UsherCore

/// The balancer's tables in the kernel: the maps of `BPF/usher_xdp.c`, pinned under a bpffs
/// directory so that they outlive this process and are shared by every `usher` invocation and
/// every interface the program is attached to.
///
/// Opening creates and pins the maps, or reuses the pinned ones; no program is loaded until
/// one is needed (`runPacket`, `attach`).
public final class Dataplane {
    /// The bpffs directory the maps are pinned in.
    public let pinDirectory: String
    /// True when this instance created (and pinned) at least one map, i.e. the tables were
    /// empty; a recorded `DataplaneState` then describes maps that are gone.
    public let mapsWereCreated: Bool

    let object: BPFObject
    let maps: DataplaneMaps
    /// The balancer program loaded for `runPacket`, kept for further runs.
    var testProgram: BPFObject?

    /// Opens the embedded `usher_xdp` object with its maps pinned under `pinDirectory` (created
    /// if missing), and loads its maps only. Throws if the directory is not on bpffs, if this
    /// is not root, or if a pinned map has another layout than this build's. With
    /// `createIfMissing` false it only opens tables that exist: commands that read (stats,
    /// dumps) must not conjure an empty balancer out of a mistyped directory.
    public init(pinDirectory: String, createIfMissing: Bool = true) throws {
        self.pinDirectory = pinDirectory
        if !createIfMissing, !FileManager.default.fileExists(atPath: pinDirectory + "/" + MapName.vips) {
            throw BPFError(call: "open", subject: "pin directory \(pinDirectory)",
                           message: "no Usher maps are pinned there: nothing has been applied to it yet " +
                               "(usher apply -f FILE), or --pin-dir names the wrong directory")
        }
        try PinDirectory.prepare(pinDirectory)
        let object = try BPFObject(embedded: "usher_xdp", pinRoot: pinDirectory, programs: [])
        mapsWereCreated = try PinDirectory.checkPinnedMaps(of: object, directory: pinDirectory)
        try object.load()
        self.object = object
        maps = try DataplaneMaps(object)
        try carryOverRetiredMaps()
    }

    /// Whether Usher's maps are pinned in `directory` (something was applied there).
    public static func hasPinnedMaps(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/" + MapName.vips)
    }

    /// Opens the embedded `usher_xdp` again with `program` to be loaded, its maps bound to the
    /// pinned ones (for `runPacket` and `attach`).
    package func openProgramObject(_ program: String) throws -> BPFObject {
        try BPFObject(embedded: "usher_xdp", pinRoot: pinDirectory, programs: [program])
    }
}

/// The fds of the maps, valid while the `BPFObject` they come from lives.
struct DataplaneMaps {
    let generation: MapFD
    let vips: MapFD
    let services: MapFD
    let reals: MapFD
    let maglev: MapFD
    /// The dsr flow table, mapped (usher_ctset_v3, usher_ct_v3).
    let flows: FlowTable
    let global: MapFD
    let stats: MapFD
    let serviceStats: MapFD
    let realStats: MapFD
    let addresses: MapFD
    let snatPools: MapFD
    let natFlows: MapFD
    let natReplies: MapFD

    init(_ object: BPFObject) throws {
        generation = try object.mapFD(named: MapName.generation)
        vips = try object.mapFD(named: MapName.vips)
        services = try object.mapFD(named: MapName.services)
        reals = try object.mapFD(named: MapName.reals)
        maglev = try object.mapFD(named: MapName.maglev)
        flows = try FlowTable(sets: object.mapFD(named: MapName.flowSets), ways: object.mapFD(named: MapName.flowWays))
        global = try object.mapFD(named: MapName.global)
        stats = try object.mapFD(named: MapName.stats)
        serviceStats = try object.mapFD(named: MapName.serviceStats)
        realStats = try object.mapFD(named: MapName.realStats)
        addresses = try object.mapFD(named: MapName.addresses)
        snatPools = try object.mapFD(named: MapName.snatPools)
        natFlows = try object.mapFD(named: MapName.natFlows)
        natReplies = try object.mapFD(named: MapName.natReplies)
    }
}

/// The bpffs directory of the pinned maps.
enum PinDirectory {
    /// Checks that `path` is (or will be) on bpffs, and creates it.
    static func prepare(_ path: String) throws {
        guard path.hasPrefix("/") else {
            throw BPFError(call: "open", subject: "pin directory \(path)", message: "give an absolute path, e.g. /sys/fs/bpf/usher")
        }
        var existing = path
        while !FileManager.default.fileExists(atPath: existing) {
            existing = (existing as NSString).deletingLastPathComponent
        }
        existing = (existing as NSString).resolvingSymlinksInPath
        guard filesystemType(of: existing) == "bpf" else {
            throw BPFError(call: "open", subject: "pin directory \(path)",
                           message: "\(existing) is not on a bpffs mount; mount bpffs (mount -t bpf bpf /sys/fs/bpf) " +
                               "and use a directory under it (nsenter --net keeps bpffs visible; `ip netns exec` hides it)")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            let code = (error as NSError).code
            throw BPFError(call: "mkdir", subject: "pin directory \(path)",
                           message: "cannot create it (\(error.localizedDescription)); " + (code == Int(EACCES) || code == 513 ? "run as root" : "check the path"))
        }
        if let problem = PrivateDirectory.problem(with: path) {
            throw BPFError(call: "open", subject: "pin directory \(path)", message: "refusing to use it: \(problem)")
        }
    }

    /// The type of the filesystem `path` is on, from the longest matching mount point in
    /// /proc/self/mountinfo (statfs is not reachable from Swift's Glibc module).
    static func filesystemType(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        var best: (point: String, type: String)?
        for line in text.split(separator: "\n") {
            let halves = line.components(separatedBy: " - ")
            guard halves.count >= 2 else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5, let type = halves[1].split(separator: " ").first else { continue }
            let point = String(fields[4]).replacingOccurrences(of: "\\040", with: " ")
            let covers = point == "/" || path == point || path.hasPrefix(point + "/")
            if covers, point.count >= (best?.point.count ?? -1) { best = (point, String(type)) }
        }
        return best?.type
    }

    /// Compares each pinned map with this build's definition before libbpf does, so an
    /// incompatible pin is reported by name with what to do. Returns true if some map is not
    /// pinned yet (it will be created).
    static func checkPinnedMaps(of object: BPFObject, directory: String) throws -> Bool {
        var creates = false
        for map in object.maps {
            guard let pathPointer = bpf_map__pin_path(map) else { continue }
            let path = String(cString: pathPointer)
            let name = String(cString: bpf_map__name(map))
            guard FileManager.default.fileExists(atPath: path) else {
                creates = true
                continue
            }
            let fd = bpf_obj_get(path)
            guard fd >= 0 else {
                throw BPFError.call("bpf_obj_get", on: "pinned map \(path)", errno: errno)
            }
            let owned = OwnedFD(fd)
            let info = try MapFD(fd: owned.fd, name: name).info()
            let same = info.type == bpf_map__type(map).rawValue && info.key_size == bpf_map__key_size(map) &&
                info.value_size == bpf_map__value_size(map) && info.max_entries == bpf_map__max_entries(map) &&
                info.map_flags == bpf_map__map_flags(map)
            guard same else {
                throw BPFError(call: "open", subject: "pinned map \(path)",
                               message: "pinned map \(name) has another layout (type \(info.type), key \(info.key_size) B, " +
                                   "value \(info.value_size) B, \(info.max_entries) entries, flags \(info.map_flags)) than this " +
                                   "build expects (type \(bpf_map__type(map).rawValue), key \(bpf_map__key_size(map)) B, " +
                                   "value \(bpf_map__value_size(map)) B, \(bpf_map__max_entries(map)) entries, flags \(bpf_map__map_flags(map))); " +
                                   "remove \(directory) or use another --pin-dir")
            }
        }
        return creates
    }
}
