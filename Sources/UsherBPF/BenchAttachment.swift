import CLibBPF
import Foundation
import UsherCore

/// One of the benchmark lab's own XDP programs (BPF/usher_bench.c, BPF/usher_floor.c) attached
/// in native mode to an interface of the calling thread's network namespace: a receiver that
/// counts what arrives, the lab's wire (a switch by destination MAC), or the floor reflector.
/// Each attachment loads its own copy of the object, so each receiver counts on its own. The
/// program stays attached until `detach()` or until the interface goes away with its namespace.
public final class BenchAttachment {
    public enum Program: String, Sendable, CaseIterable {
        /// `usher_bench_count`: counts every frame, then drops it.
        case counter
        /// `usher_bench_switch`: redirects a frame to the port of its destination MAC.
        case wire
        /// `usher_floor`: swaps the MACs and sends the frame back (XDP_TX).
        case floor
    }

    public let program: Program
    public let interface: String
    public let ifindex: UInt32
    private let object: BPFObject

    /// Loads `program` and attaches it to `interface` (native mode; nothing may be attached yet).
    public init(_ program: Program, interface: String) throws {
        self.program = program
        self.interface = interface
        let (objectName, programName) = Self.names(program)
        object = try BPFObject(embedded: objectName, pinRoot: nil, programs: [programName])
        try object.load()
        ifindex = if_nametoindex(interface)
        guard ifindex != 0 else {
            throw BPFError(call: "if_nametoindex", subject: "interface \(interface)", errno: ENODEV,
                           message: "there is no such interface in this thread's network namespace")
        }
        let flags = UInt32(XDP_FLAGS_DRV_MODE) | UInt32(XDP_FLAGS_UPDATE_IF_NOEXIST)
        let result = bpf_xdp_attach(Int32(ifindex), try object.programFD(named: programName), flags, nil)
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_attach", on: "interface \(interface) (\(programName))", errno: -result,
                                hint: BPFError.hint(for: -result))
        }
    }

    /// Removes the program from the interface (call it in the interface's namespace).
    public func detach() throws {
        let result = bpf_xdp_detach(Int32(ifindex), UInt32(XDP_FLAGS_DRV_MODE), nil)
        guard result == 0 else {
            throw BPFError.call("bpf_xdp_detach", on: "interface \(interface)", errno: -result)
        }
    }

    /// Frames and bytes the counter has seen (every CPU's share added up).
    public func arrived() throws -> (packets: UInt64, bytes: UInt64) {
        let values = try perCPU(BenchName.arrived, words: 2)
        return (values.map { $0[0] }.reduce(0, &+), values.map { $0[1] }.reduce(0, &+))
    }

    /// The wire: frames to `mac` leave by the interface of index `port` (this namespace).
    public func connect(_ mac: MACAddress, toPort port: UInt32) throws {
        var key = UInt64(0)
        withUnsafeMutableBytes(of: &key) { $0.copyBytes(from: mac.bytes) }
        try object.mapFD(named: BenchName.ports).update(key, port)
    }

    /// The wire: frames dropped because no port has their destination MAC.
    public func unknownDestinations() throws -> UInt64 {
        try perCPU(BenchName.unknown, words: 1).map { $0[0] }.reduce(0, &+)
    }

    // MARK: Pieces

    static func names(_ program: Program) -> (object: String, program: String) {
        switch program {
        case .counter: return (BenchName.object, BenchName.counter)
        case .wire: return (BenchName.object, BenchName.switchProgram)
        case .floor: return (BenchName.floorObject, BenchName.floor)
        }
    }

    /// Entry 0 of a per-CPU array map of `words` 64-bit values: one array per possible CPU.
    private func perCPU(_ mapName: String, words: Int) throws -> [[UInt64]] {
        let map = try object.mapFD(named: mapName)
        let cpus = try BPFSystem.possibleCPUs()
        var values = [UInt64](repeating: 0, count: cpus * words)
        var zero: UInt32 = 0
        guard bpf_map_lookup_elem(map.fd, &zero, &values) == 0 else {
            throw BPFError.call("bpf_map_lookup_elem", on: "map \(mapName)", errno: errno)
        }
        return (0..<cpus).map { Array(values[($0 * words)..<($0 * words + words)]) }
    }
}
