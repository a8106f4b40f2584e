import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import UsherCore
import UsherHealth
@testable import UsherProxy

/// A proxy given the daemon's engine: its pool members become targets of that engine (with
/// their pool), next to the L4 targets it leaves alone; a reload keeps the members' states; a
/// stop takes only its own targets away.
@Suite struct HealthSharedEngineTests {
    @Test func poolMembersJoinTheSharedEngineAndLeaveItOnStop() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let engine = HealthEngine(group: group, logger: testLogger)
        let alive = try await TestRealServer.start("alive", group: group)
        let dead = try RefusingPort()
        defer { dead.close() }

        // An L4 real checked by the daemon, down from a saved state.
        let l4 = HealthTarget(service: "dns", address: .v4(127, 0, 0, 1), port: alive.port)
        engine.update([l4: HealthCheck(kind: .tcp, intervalSeconds: 60, timeoutSeconds: 1, rise: 5, fall: 1)],
                      initial: [l4: HealthStatus(state: .down, since: Date(timeIntervalSince1970: 1))])

        var pool = TestServices.pool("p", [alive])
        pool.members.append(dead.member)
        pool.healthCheck = HealthCheck(kind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.09, rise: 1, fall: 1)
        let services = [TestServices.http(pools: [pool])]
        let proxy = ProxyServer(services: services, group: group, logger: testLogger, health: engine)
        let addresses = try await proxy.start()
        let deadTarget = HealthTarget(service: "web", pool: "p", address: .v4(127, 0, 0, 1), port: dead.port)
        let aliveTarget = HealthTarget(service: "web", pool: "p", address: .v4(127, 0, 0, 1), port: alive.port)

        #expect(Set(engine.snapshot().keys) == [l4, deadTarget, aliveTarget])
        let deadline = Date().addingTimeInterval(5)
        while engine.isUp(deadTarget), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(engine.status(of: deadTarget)?.lastError == "connect refused")
        let client = try await TestHTTPClient.connect(to: addresses[0], group: group)
        for _ in 0..<10 {
            #expect(try await client.send(TestRequest()).real == "alive")
        }

        // The same pools again: the dead member stays down (not back up until checked again).
        try await proxy.reload(services: services)
        #expect(!engine.isUp(deadTarget))
        #expect(engine.status(of: l4)?.state == .down, "the L4 target is not the proxy's")

        try await proxy.stop()
        #expect(Set(engine.snapshot().keys) == [l4])
        await engine.stop()
        await alive.stop()
        try await group.shutdownGracefully()
    }
}
