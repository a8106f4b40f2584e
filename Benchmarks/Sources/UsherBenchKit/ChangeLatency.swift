import Foundation
import UsherBPF
import UsherCore

/// The time from a change to the first packet that sees it. A watcher thread runs packets
/// through the balancer one at a time (BPF_PROG_TEST_RUN, against the same pinned maps) and
/// notes when the first one is handled the new way; the change is an in-process `apply`, timed
/// from its start (what `usher apply` adds on top is reading the config and starting the process).
struct ChangeLatency {
    var rounds: Int
    static let newVIP = ServiceKey(vip: IPAddress("203.0.113.50")!, port: 80, proto: .tcp)
    static let newReal = IPAddress("198.51.100.14")!, newRealMAC = MACAddress("02:00:00:00:01:14")!

    func run() throws -> [ControlPlaneResult.Timing] {
        let pins = BenchPins()
        defer { pins.remove() }
        let dataplane = try Dataplane(pinDirectory: pins.path)
        let base = XDPCostCases.config
        var state = try dataplane.apply(base, previous: nil, resolver: NoNeighbors())
        var withService = base
        withService.services.append(VirtualService(name: "new", vip: Self.newVIP.vip, port: 80, proto: .tcp, mode: .dsrL2,
                                                   reals: [RealServer(address: Self.newReal, mac: Self.newRealMAC)]))
        var withReal = base
        withReal.services[0].reals.append(RealServer(address: Self.newReal, mac: Self.newRealMAC))

        var serviceAdd: [Double] = [], serviceAddAfter: [Double] = [], realAdd: [Double] = []
        for round in 0..<rounds {
            Progress.say("control-plane: change to first packet, round \(round + 1) of \(rounds)")
            // A new service: its VIP's packets go from passed to forwarded.
            let vipFrame = BenchFrames.tcp(from: XDPCostCases.client4, UInt16(40000 + round), to: Self.newVIP.vip, 80)
            let (seen, start, applied) = try watch(pins: pins.path, until: { dp, _ in try dp.runPacket(vipFrame).verdict == .tx }) {
                state = try dataplane.apply(withService, previous: state, resolver: NoNeighbors())
            }
            serviceAdd.append(Double(seen - start) / 1e3)
            serviceAddAfter.append((Double(seen) - Double(applied)) / 1e3)
            state = try dataplane.apply(base, previous: state, resolver: NoNeighbors())

            // A new real: the first new flow Maglev gives it.
            let flows = BenchFrames.tcp(from: XDPCostCases.newClients4, UInt16(round * 4096), to: XDPCostCases.l2v4.vip, 80)
            let (seenReal, startReal, _) = try watch(pins: pins.path, until: { dp, i in
                var frame = flows
                frame[34] = UInt8(truncatingIfNeeded: (round * 4096 + i) >> 8)
                frame[35] = UInt8(truncatingIfNeeded: round * 4096 + i)
                return Array(try dp.runPacket(frame).output.prefix(6)) == Self.newRealMAC.bytes
            }) {
                state = try dataplane.apply(withReal, previous: state, resolver: NoNeighbors())
            }
            realAdd.append(Double(seenReal - startReal) / 1e3)
            state = try dataplane.apply(base, previous: state, resolver: NoNeighbors())
            _ = try dataplane.flushFlows()
        }
        return [
            .init(what: "service added: start of apply to its first forwarded packet (µs)", ms: Summary(serviceAdd)!),
            .init(what: "service added: end of apply to its first forwarded packet (µs; negative: seen before apply returned)",
                  ms: Summary(serviceAddAfter)!),
            .init(what: "real added: start of apply to the first new flow sent to it (µs)", ms: Summary(realAdd)!),
        ]
    }

    /// Runs `change` while a watcher thread sends packets (`sees` returns whether packet i saw
    /// the change); returns when the first packet saw it, when the change started and ended (ns).
    private func watch(pins: String, until sees: @escaping @Sendable (Dataplane, Int) throws -> Bool,
                       change: () throws -> Void) throws -> (UInt64, UInt64, UInt64) {
        let seen = Shared<UInt64?>(nil), failure = Shared<String?>(nil), sent = Shared(0), stop = Shared(false)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            do {
                let dp = try Dataplane(pinDirectory: pins, createIfMissing: false)
                let deadline = monotonicNanoseconds() + 10_000_000_000
                var i = 0
                while !stop.value, monotonicNanoseconds() < deadline {
                    let t = monotonicNanoseconds()
                    if try sees(dp, i) { seen.value = t; return }
                    i += 1
                    sent.value = i
                }
            } catch {
                failure.value = "\(error)"
            }
        }
        thread.start()
        while sent.value < 50, failure.value == nil { usleep(1000) } // the watcher is running and sees the old state
        let start = monotonicNanoseconds()
        do { try change() } catch { stop.value = true; done.wait(); throw error }
        let applied = monotonicNanoseconds()
        done.wait()
        if let failure = failure.value { throw BenchCheckError(description: "watcher: \(failure)") }
        guard let t = seen.value else { throw BenchCheckError(description: "no packet saw the change within 10 s") }
        guard t >= start else { throw BenchCheckError(description: "a packet saw the change before it was made") }
        return (t, start, applied)
    }
}
