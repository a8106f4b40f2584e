import Testing
import UsherControl
import UsherCore

/// A service's state from its reals', as the API, /metrics and the status page say it.
@Suite struct ServiceStateTests {
    static let service = VirtualService(name: "web", vip: IPAddress("203.0.113.10")!, port: 80, proto: .tcp, mode: .dsrL2,
                                        reals: [])

    static func views(_ reals: [(String, RealServer)]) -> [RealView] {
        var service = Self.service
        service.healthCheck = HealthCheck(kind: .tcp)
        service.reals = reals.map(\.1)
        var health: [HealthTarget: RuntimeState.Entry] = [:]
        for (state, real) in reals where state == "up" || state == "down" {
            let target = service.healthTarget(of: real)
            health[target] = RuntimeState.Entry(target: target, status: HealthStatus(state: HealthState(rawValue: state)!, since: .now))
        }
        return service.reals.map { RealView(service: service, $0, health: health) }
    }

    static func real(_ last: UInt8, weight: UInt32 = 1, backup: Bool = false, disabled: Bool = false) -> RealServer {
        var real = RealServer(address: .v4(198, 51, 100, last), weight: weight)
        real.backup = backup
        real.disabled = disabled
        return real
    }

    @Test func upDegradedDown() {
        #expect(ServiceState(reals: Self.views([("up", Self.real(11)), ("up", Self.real(12))])) == .up)
        #expect(ServiceState(reals: Self.views([("up", Self.real(11)), ("down", Self.real(12))])) == .degraded)
        #expect(ServiceState(reals: Self.views([("down", Self.real(11)), ("down", Self.real(12))])) == .down)
        #expect(ServiceState(reals: []) == .down)
    }

    @Test func drainedAndDisabledRealsAreNotMissed() {
        let views = Self.views([("up", Self.real(11)), ("up", Self.real(12, weight: 0)), ("up", Self.real(13, disabled: true))])
        #expect(views.map(\.state) == [.up, .draining, .disabled])
        #expect(ServiceState(reals: views) == .up)
        #expect(ServiceState(reals: Self.views([("up", Self.real(12, weight: 0))])) == .down)
    }

    @Test func aServiceOnItsSorryServerIsDegraded() {
        #expect(ServiceState(reals: Self.views([("down", Self.real(11)), ("up", Self.real(13, backup: true))])) == .degraded)
        #expect(ServiceState(reals: Self.views([("down", Self.real(11)), ("down", Self.real(13, backup: true))])) == .down)
    }
}
