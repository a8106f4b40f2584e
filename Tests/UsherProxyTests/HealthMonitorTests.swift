import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing
import UsherCore
@testable import UsherProxy

/// Health checks against real servers on 127.0.0.1, with short intervals and bounded waits.
@Suite struct HealthMonitorTests {
    /// Transitions seen by `onChange`, each with what `note` said at that moment.
    final class Transitions: Sendable {
        struct Change: Sendable, Equatable {
            let pool: String
            let member: PoolMember
            let up: Bool
            let note: Int
        }

        private let list = Mutex<[Change]>([])
        let note: @Sendable () -> Int

        init(_ monitor: PoolHealthMonitor, note: @escaping @Sendable () -> Int = { 0 }) {
            self.note = note
            monitor.onChange { [self] pool, member, up in
                let noted = self.note()
                self.list.withLock { $0.append(Change(pool: pool, member: member, up: up, note: noted)) }
            }
        }

        var all: [Change] { list.withLock { $0 } }
    }

    /// Polls `condition` every 10 ms for at most `limit`.
    static func eventually(_ limit: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    static func httpPool(_ name: String, _ members: [PoolMember], expect: Int = 200, rise: Int = 2, fall: Int = 3,
                         timeout: Double = 1, proxyProtocol: ProxyProtocolVersion? = nil, tls: UpstreamTLS? = nil) -> Pool {
        Pool(name: name, upstreamTLS: tls, proxyProtocol: proxyProtocol,
             healthCheck: HealthCheck(kind: .http(path: "/health", expectStatus: expect), intervalSeconds: 0.05,
                                      timeoutSeconds: timeout, rise: rise, fall: fall),
             members: members)
    }

    @Test func downAfterExactlyFallFailuresUpAfterExactlyRiseSuccesses() async throws {
        let server = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let log = RecordedLog()
        let monitor = PoolHealthMonitor(pools: [Self.httpPool("web", [server.member])], group: group, logger: log.logger)
        let baseline = Mutex<[String: Int]>([:])
        let changes = Transitions(monitor) {
            // Answers of the current kind since the last switch.
            let since = baseline.withLock { $0 }
            let current = server.answered(.status(503)) - (since["503"] ?? 0)
            return current > 0 ? current : server.answered(.status(200)) - (since["200"] ?? 0)
        }
        monitor.start()

        #expect(await Self.eventually { server.answered(.status(200)) >= 3 })
        #expect(monitor.isUp(pool: "web", member: server.member))
        #expect(changes.all.isEmpty)

        baseline.withLock { $0 = server.set(.status(503)) }
        #expect(await Self.eventually { changes.all.count == 1 })
        #expect(changes.all.first == .init(pool: "web", member: server.member, up: false, note: 3))
        #expect(!monitor.isUp(pool: "web", member: server.member))

        baseline.withLock { $0 = server.set(.status(200)) }
        #expect(await Self.eventually { changes.all.count == 2 })
        #expect(changes.all.last == .init(pool: "web", member: server.member, up: true, note: 2))
        #expect(monitor.isUp(pool: "web", member: server.member))

        await monitor.stop()
        let down = log.entries.first { $0.message == "real server down" }
        #expect(down?.level == .warning)
        #expect(down?.metadata["pool"] == "web")
        #expect(down?.metadata["real"] == "127.0.0.1:\(server.port)")
        #expect(down?.metadata["service"] == "site")
        #expect(down?.metadata["reason"] == "3 consecutive checks failed, last: status 503, expected 200")
        #expect(log.entries.first { $0.message == "real server up" }?.metadata["reason"] == "2 consecutive checks passed")
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func anyOtherStatusThanTheExpectedOneFails() async throws {
        let server = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = RecordedLog()
        let monitor = PoolHealthMonitor(pools: [Self.httpPool("api", [server.member], expect: 204, fall: 2)], group: group, logger: log.logger)
        let changes = Transitions(monitor) { server.answered(.status(200)) }
        monitor.start()
        // The engine's state turns before its listeners are told: wait for both.
        #expect(await Self.eventually { !monitor.isUp(pool: "api", member: server.member) && !changes.all.isEmpty })
        #expect(changes.all == [.init(pool: "api", member: server.member, up: false, note: 2)])
        await monitor.stop()
        #expect(log.entries.contains { $0.metadata["reason"] == "2 consecutive checks failed, last: status 200, expected 204" })
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func closedConnectionsAndSilenceFail() async throws {
        let closing = try await HealthCheckedServer()
        closing.set(.close)
        let silent = try await HealthCheckedServer()
        silent.set(.silent)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = RecordedLog()
        let monitor = PoolHealthMonitor(pools: [
            Self.httpPool("closing", [closing.member], fall: 1),
            Self.httpPool("silent", [silent.member], fall: 1, timeout: 0.2),
        ], group: group, logger: log.logger)
        monitor.start()
        // The engine's state turns before it logs the change: wait for both logs too.
        #expect(await Self.eventually {
            !monitor.isUp(pool: "closing", member: closing.member) && !monitor.isUp(pool: "silent", member: silent.member)
                && log.entries.filter { $0.message == "real server down" }.count >= 2
        })
        await monitor.stop()
        let reasons = Set(log.entries.filter { $0.message == "real server down" }.compactMap { $0.metadata["reason"] })
        #expect(reasons == [
            "1 consecutive checks failed, last: connection closed before a complete answer",
            "1 consecutive checks failed, last: no answer within 0.2s",
        ])
        await closing.stop()
        await silent.stop()
        try await group.shutdownGracefully()
    }

    @Test func tcpChecksPassOnConnectAndFailOnAClosedPort() async throws {
        let open = try await HealthCheckedServer()
        let gone = try await HealthCheckedServer()
        let closedMember = gone.member
        await gone.stop()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let log = RecordedLog()
        let check = HealthCheck(kind: .tcp, intervalSeconds: 0.05, timeoutSeconds: 1, rise: 1, fall: 2)
        let monitor = PoolHealthMonitor(pools: [Pool(name: "tcp", healthCheck: check, members: [open.member, closedMember])],
                                    group: group, logger: log.logger)
        let changes = Transitions(monitor)
        monitor.start()
        #expect(await Self.eventually {
            !monitor.isUp(pool: "tcp", member: closedMember) && open.connections >= 3 && !changes.all.isEmpty
        })
        #expect(monitor.isUp(pool: "tcp", member: open.member))
        #expect(changes.all.map(\.member) == [closedMember])
        await monitor.stop()
        let reason = log.entries.first { $0.message == "real server down" }?.metadata["reason"] ?? ""
        #expect(reason == "2 consecutive checks failed, last: connect refused", "\(reason)")
        await open.stop()
        try await group.shutdownGracefully()
    }

    @Test func poolsWithoutChecksAndUnknownMembersAreUp() async throws {
        let server = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let monitor = PoolHealthMonitor(pools: [Pool(name: "plain", members: [server.member])], group: group,
                                    logger: Logger(label: "test"))
        monitor.start()
        try await Task.sleep(for: .milliseconds(200))
        #expect(monitor.isUp(pool: "plain", member: server.member))
        #expect(monitor.isUp(pool: "other", member: PoolMember(address: .v4(192, 0, 2, 1), port: 80)))
        #expect(server.connections == 0, "a pool without healthCheck is never checked")
        await monitor.stop()
        await server.stop()
        try await group.shutdownGracefully()
    }

    @Test func stopEndsTheChecks() async throws {
        let server = try await HealthCheckedServer()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let monitor = PoolHealthMonitor(pools: [Self.httpPool("web", [server.member])], group: group, logger: Logger(label: "test"))
        monitor.start()
        monitor.start()  // the same checks again: nothing restarts
        #expect(await Self.eventually { server.answered(.status(200)) >= 2 })
        await monitor.stop()
        let after = server.connections
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.connections == after)
        await server.stop()
        try await group.shutdownGracefully()
    }
}
