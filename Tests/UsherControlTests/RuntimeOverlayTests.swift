import Foundation
import Testing
import UsherControl
import UsherCore

/// What the data plane runs, given the config and what the health checks found.
@Suite struct RuntimeOverlayTests {
    static let check = HealthCheck(kind: .tcp, intervalSeconds: 1, timeoutSeconds: 0.5, rise: 2, fall: 2)

    static func service(_ reals: [RealServer], slowStart: Double = 0, onDown: OnDownAction = .keep) -> VirtualService {
        VirtualService(name: "web", vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp, mode: .dsrL2,
                       reals: reals, healthCheck: check, onDown: onDown, slowStartSeconds: slowStart)
    }

    static func real(_ last: Int, weight: UInt32 = 1, backup: Bool = false, disabled: Bool = false) -> RealServer {
        RealServer(address: IPAddress("198.51.100.\(last)")!, weight: weight, backup: backup, disabled: disabled)
    }

    static func runtime(_ service: VirtualService, _ states: [Int: HealthState], rampStart: [Int: Date] = [:]) -> RuntimeState {
        var entries: [HealthTarget: RuntimeState.Entry] = [:]
        for real in service.reals {
            let last = Int(real.address.description.split(separator: ".").last!)!
            guard let state = states[last] else { continue }
            let target = service.healthTarget(of: real)
            entries[target] = RuntimeState.Entry(target: target, status: HealthStatus(state: state, since: Date()),
                                                 rampStart: rampStart[last])
        }
        return RuntimeState(entries)
    }

    static func weights(_ result: RuntimeOverlay.Result) -> [UInt32] {
        result.config.services[0].reals.map(\.weight)
    }

    @Test func aDownRealLeavesTheTableAndKeepsItsFlowsUnlessReset() {
        let keep = Self.service([Self.real(11), Self.real(12, weight: 3)])
        let result = RuntimeOverlay.apply(BalancerConfig(services: [keep]), runtime: Self.runtime(keep, [11: .down, 12: .up]), now: Date())
        #expect(Self.weights(result) == [0, 3])
        #expect(result.resets.isEmpty)
        let reset = Self.service([Self.real(11), Self.real(12)], onDown: .reset)
        let dropped = RuntimeOverlay.apply(BalancerConfig(services: [reset]), runtime: Self.runtime(reset, [11: .down]), now: Date())
        #expect(dropped.resets.map(\.address.description) == ["198.51.100.11"])
    }

    @Test func manualStatesWinOverTheChecks() {
        let service = Self.service([Self.real(11, weight: 0), Self.real(12, disabled: true), Self.real(13)])
        let result = RuntimeOverlay.apply(BalancerConfig(services: [service]),
                                          runtime: Self.runtime(service, [11: .up, 12: .up, 13: .up]), now: Date())
        #expect(Self.weights(result) == [0, 0, 1])
        #expect(result.resets.map(\.address.description) == ["198.51.100.12"], "a disabled real's flows are dropped")
    }

    @Test func aBackupTakesOverOnlyWhenNoOtherRealCan() {
        let service = Self.service([Self.real(11), Self.real(12), Self.real(13, backup: true)])
        let config = BalancerConfig(services: [service])
        #expect(Self.weights(RuntimeOverlay.apply(config, runtime: Self.runtime(service, [11: .down]), now: Date())) == [0, 1, 0])
        #expect(Self.weights(RuntimeOverlay.apply(config, runtime: Self.runtime(service, [11: .down, 12: .down]), now: Date()))
            == [0, 0, 1])
        #expect(Self.weights(RuntimeOverlay.apply(config, runtime: Self.runtime(service, [11: .down, 12: .down, 13: .down]),
                                                  now: Date())) == [0, 0, 0], "no real left: an empty table")
    }

    @Test func anUncheckedRealIsAlwaysIn() {
        var service = Self.service([Self.real(11)])
        service.healthCheck = nil
        let result = RuntimeOverlay.apply(BalancerConfig(services: [service]), runtime: Self.runtime(service, [11: .down]), now: Date())
        #expect(Self.weights(result) == [1])
    }

    @Test func slowStartRampsInStepsAndSaysWhenTheNextIsDue() throws {
        let service = Self.service([Self.real(11, weight: 2), Self.real(12, weight: 2)], slowStart: 20)
        let config = BalancerConfig(services: [service])
        let start = Date(timeIntervalSince1970: 1_000_000)
        var shares: [Double] = []
        for elapsed in [0.0, 5.5, 10.5, 19.5] {
            let result = RuntimeOverlay.apply(config, runtime: Self.runtime(service, [11: .up, 12: .up], rampStart: [11: start]),
                                              now: start.addingTimeInterval(elapsed))
            let w = Self.weights(result)
            #expect(w[1] == 2 * RuntimeOverlay.rampScale, "the other real keeps its weight, scaled")
            shares.append(Double(w[0]) / Double(w[1]))
            let next = try #require(result.nextStep)
            #expect(next.timeIntervalSince(start) > elapsed && next.timeIntervalSince(start) <= elapsed + 1.0 + 1e-9)
        }
        #expect(shares == shares.sorted() && shares.first! <= 0.05 + 1e-9 && shares.last! == 1.0, "\(shares)")
        let done = RuntimeOverlay.apply(config, runtime: Self.runtime(service, [11: .up, 12: .up], rampStart: [11: start]),
                                        now: start.addingTimeInterval(20))
        #expect(Self.weights(done) == [2, 2] && done.nextStep == nil, "after the ramp: plain weights")
    }

    @Test func scalingEveryWeightOfAServiceBuildsTheSameMaglevTable() {
        let backends = (0..<7).map { MaglevBackend(key: Array("198.51.100.\($0)".utf8), weight: UInt32(1 + $0 % 3)) }
        let scaled = backends.map { MaglevBackend(key: $0.key, weight: $0.weight * RuntimeOverlay.rampScale) }
        #expect(Maglev.table(backends: backends, size: 65537) == Maglev.table(backends: scaled, size: 65537))
    }
}
