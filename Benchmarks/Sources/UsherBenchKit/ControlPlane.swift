import Foundation
import UsherBPF
import UsherCore

/// Part 4: the control plane. Maglev table build times; `apply` of 1,000 services × 100 reals
/// (cold, unchanged, one real added); the time from a change to the first packet that sees it;
/// and packets counted while tables change under load (none may be lost).
public struct ControlPlane {
    public var maglevReals = [10, 100, 1000]
    public var rounds = 5
    public var services = 1000
    public var realsPerService = 100
    public var changesUnderLoad = 60

    public init() {}

    public func run() throws -> ControlPlaneResult {
        var result = ControlPlaneResult()
        for n in maglevReals {
            Progress.say("control-plane: Maglev table of \(VirtualService.defaultMaglevTableSize) slots for \(n) reals")
            result.maglev.append(maglevBuild(reals: n))
        }
        result.apply = try ApplyBench(services: services, realsPerService: realsPerService, rounds: max(2, rounds / 2)).run()
        result.changeToPacket = try ChangeLatency(rounds: rounds).run()
        result.underLoad = try LoadDuringChanges(changes: changesUnderLoad).run()
        return result
    }

    func maglevBuild(reals n: Int) -> ControlPlaneResult.Timing {
        let backends = (0..<n).map { i in
            MaglevBackend(key: IPAddress("2001:db8:2::\(String(i + 1, radix: 16))")!.bytes, weight: 1)
        }
        var ms: [Double] = []
        for _ in 0..<rounds {
            let start = monotonicNanoseconds()
            let table = Maglev.table(backends: backends, size: Int(VirtualService.defaultMaglevTableSize))
            ms.append(Double(monotonicNanoseconds() - start) / 1e6)
            precondition(table.count == Int(VirtualService.defaultMaglevTableSize))
        }
        return .init(what: "Maglev table, \(n) reals, \(VirtualService.defaultMaglevTableSize) slots", ms: Summary(ms)!)
    }
}

/// What part 4 measured.
public struct ControlPlaneResult: Codable, Sendable {
    public struct Timing: Codable, Sendable {
        public var what: String
        public var ms: Summary
    }

    public struct Loss: Codable, Sendable {
        public var changes: Int
        public var seconds: Double
        public var packets: UInt64
        public var forwarded: UInt64
        public var lost: UInt64
        /// Counted packets by verdict reason, other than forwarded (`tx`).
        public var otherReasons: [String: UInt64]
    }

    public var maglev: [Timing] = []
    public var apply: [Timing] = []
    public var changeToPacket: [Timing] = []
    public var underLoad: Loss?
}

/// A value handed to another thread and read back after it is joined.
final class Shared<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: T
    init(_ value: T) { storage = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return storage }
        set { lock.lock(); storage = newValue; lock.unlock() }
    }
}
