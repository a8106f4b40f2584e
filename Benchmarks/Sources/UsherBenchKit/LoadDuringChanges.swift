import Foundation
import UsherBPF
import UsherCore

/// Packets through the balancer while its tables change, counted: a thread runs batches of
/// 20,000 packets over 65,536 flows (first packets, then established ones) through the wrapper
/// while `changes` applies add, drain, reweight and remove reals and add and remove a service.
/// Every packet must be forwarded; the data plane's own counters say what happened to each.
struct LoadDuringChanges {
    var changes: Int

    func run() throws -> ControlPlaneResult.Loss {
        let pins = BenchPins()
        defer { pins.remove() }
        let dataplane = try Dataplane(pinDirectory: pins.path)
        let base = XDPCostCases.config
        var state = try dataplane.apply(base, previous: nil, resolver: NoNeighbors())
        let configs = Self.changes(of: base)

        let stop = Shared(false), failure = Shared<String?>(nil), batches = Shared(0)
        let done = DispatchSemaphore(value: 0)
        let path = pins.path
        let thread = Thread {
            defer { done.signal() }
            do {
                let dp = try Dataplane(pinDirectory: path, createIfMissing: false)
                let bench = try XDPBench(dataplane: dp)
                let key = XDPCostCases.l2v4
                let frame = BenchFrames.tcp(from: XDPCostCases.client4, 1, to: key.vip, key.port)
                try bench.prepare(frame: frame, variation: try FlowVariation.sourceFlows(of: frame, count: 65536))
                let deadline = monotonicNanoseconds() + 120_000_000_000
                var k: UInt64 = 0
                while !stop.value, monotonicNanoseconds() < deadline {
                    _ = try bench.run(.balancer, repeat: 20000, firstIteration: k * 20000)
                    k += 1
                    batches.value = Int(k)
                }
            } catch {
                failure.value = "\(error)"
            }
        }
        let before = try dataplane.readStats()
        let start = monotonicNanoseconds()
        thread.start()
        while batches.value < 5, failure.value == nil { usleep(1000) }
        for i in 0..<changes {
            if i % 10 == 0 { Progress.say("control-plane: changes under load, \(i) of \(changes)") }
            state = try dataplane.apply(configs[i % configs.count], previous: state, resolver: NoNeighbors())
        }
        state = try dataplane.apply(base, previous: state, resolver: NoNeighbors())
        let target = batches.value + 5
        while batches.value < target, failure.value == nil { usleep(1000) }
        stop.value = true
        done.wait()
        if let failure = failure.value { throw BenchCheckError(description: "load thread: \(failure)") }
        let after = try dataplane.readStats()
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let packets = after.totalPackets - before.totalPackets
        func delta(_ name: String) -> UInt64 { (after.global[name]?.packets ?? 0) - (before.global[name]?.packets ?? 0) }
        var others: [String: UInt64] = [:]
        for name in StatsSnapshot.verdictCounterNames where name != "tx" && delta(name) > 0 { others[name] = delta(name) }
        return .init(changes: changes, seconds: (seconds * 10).rounded() / 10, packets: packets, forwarded: delta("tx"),
                     lost: packets - delta("tx"), otherReasons: others)
    }

    /// A cycle of configs, each one change from the one before.
    static func changes(of base: BalancerConfig) -> [BalancerConfig] {
        let extra = RealServer(address: IPAddress("198.51.100.14")!, mac: MACAddress("02:00:00:00:01:14")!)
        var out: [BalancerConfig] = []
        var c = base
        c.services[0].reals.append(extra); out.append(c)                       // add a real
        c.services[0].reals[0].weight = 0; out.append(c)                       // drain one
        c.services[0].reals[1].weight = 5; out.append(c)                       // reweight one
        c.services[0].reals.removeAll { $0.address == extra.address }; out.append(c) // remove a real
        c.services[0].reals[0].weight = 1; c.services[0].reals[1].weight = 1; out.append(c)
        c.services.append(VirtualService(name: "extra", vip: IPAddress("203.0.113.60")!, port: 80, proto: .tcp,
                                         mode: .dsrL2, reals: [extra])); out.append(c) // add a service
        c.services.removeLast(); out.append(c)                                 // remove it
        return out
    }
}
