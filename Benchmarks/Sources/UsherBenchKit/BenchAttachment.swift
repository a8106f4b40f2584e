import CUsherBench
import Foundation
import UsherBPF
import UsherCore

/// One of the benchmark lab's own XDP programs (Benchmarks/BPF/usher_bench.c, usher_floor.c) attached
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
        object = try BenchObject.open(objectName, programs: [programName])
        try object.load()
        ifindex = try NativeXDP.attach(programFD: try object.programFD(named: programName), interface: interface,
                                       programName: programName)
    }

    /// Removes the program from the interface (call it in the interface's namespace).
    public func detach() throws {
        try NativeXDP.detach(ifindex: ifindex, interface: interface)
    }

    /// Frames and bytes the counter has seen (every CPU's share added up).
    public func arrived() throws -> (packets: UInt64, bytes: UInt64) {
        let values: [usher_bench_arrivals] = try object.mapFD(named: BenchName.arrived).lookupPerCPU(UInt32(0))
        return (values.map(\.packets).reduce(0, &+), values.map(\.bytes).reduce(0, &+))
    }

    /// The wire: frames to `mac` leave by the interface of index `port` (this namespace).
    public func connect(_ mac: MACAddress, toPort port: UInt32) throws {
        var key = UInt64(0)
        withUnsafeMutableBytes(of: &key) { $0.copyBytes(from: mac.bytes) }
        try object.mapFD(named: BenchName.ports).update(key, port)
    }

    /// The wire: frames dropped because no port has their destination MAC.
    public func unknownDestinations() throws -> UInt64 {
        let values: [UInt64] = try object.mapFD(named: BenchName.unknown).lookupPerCPU(UInt32(0))
        return values.reduce(0, &+)
    }

    // MARK: Pieces

    static func names(_ program: Program) -> (object: String, program: String) {
        switch program {
        case .counter: return (BenchName.object, BenchName.counter)
        case .wire: return (BenchName.object, BenchName.switchProgram)
        case .floor: return (BenchName.floorObject, BenchName.floor)
        }
    }
}
