import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import UsherCore
import UsherHealth

/// The engine's bookkeeping, against a real server switched between healthy and not: rise and
/// fall counting, transitions reported, the initial state honoured, updates that leave
/// unchanged checks alone, and scopes.
@Suite(.serialized) struct HealthEngineTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    final class Transitions: Sendable {
        let list = Mutex<[HealthTransition]>([])
        var all: [HealthTransition] { list.withLock { $0 } }
    }

    @Test func fallThenRiseConsecutiveChecks() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group)
        let target = EngineProbe.target(port: server.port)
        let seen = Transitions()
        probe.engine.onTransition { t in seen.list.withLock { $0.append(t) } }
        let check = HealthCheck(kind: .http(path: "/", expectStatus: 200), intervalSeconds: 0.1, timeoutSeconds: 0.09, rise: 3, fall: 2)
        probe.engine.update([target: check])
        _ = try await probe.waitFor(target, within: 5) { $0.lastPassed == true }

        server.set(status: 500)
        let requestsAtFailure = server.requests.count
        let down = try await probe.waitFor(target, within: 5) { $0.state == .down }
        #expect(!probe.engine.isUp(target))
        // Down after `fall` failed checks (one in flight may have passed, one more may have run since).
        #expect((2...4).contains(server.requests.count - requestsAtFailure), "\(server.requests.count - requestsAtFailure) checks")
        #expect(down.lastError == "status 500, expected 200")

        server.set(status: 200)
        let requestsAtRecovery = server.requests.count
        let up = try await probe.waitFor(target, within: 5) { $0.state == .up }
        #expect((3...5).contains(server.requests.count - requestsAtRecovery), "\(server.requests.count - requestsAtRecovery) checks")
        #expect(up.since > down.since)
        let transitions = seen.all
        #expect(transitions.map { "\($0.from)→\($0.to)" } == ["up→down", "down→up"])
        #expect(transitions.first?.reason == "2 consecutive checks failed, last: status 500, expected 200")
        #expect(transitions.last?.reason == "3 consecutive checks passed")
        #expect(transitions.allSatisfy { $0.target == target })
        await probe.engine.stop()
        await server.close()
    }

    @Test func initialStateIsHonouredAndAnUncheckedTargetIsUp() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group)
        let target = EngineProbe.target(port: server.port)
        let since = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(probe.engine.isUp(target), "not checked: up")
        #expect(probe.engine.status(of: target) == nil)
        let check = HealthCheck(kind: .tcp, intervalSeconds: 0.1, timeoutSeconds: 0.09, rise: 2, fall: 1)
        probe.engine.update([target: check], initial: [target: HealthStatus(state: .down, since: since)])
        #expect(!probe.engine.isUp(target), "down from the start, before any check")
        #expect(probe.engine.status(of: target)?.since == since)
        let up = try await probe.waitFor(target, within: 5) { $0.state == .up }
        #expect(up.since > since)
        await probe.engine.stop()
        await server.close()
    }

    @Test func updateKeepsUnchangedChecksAndStateAndRespectsScope() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group, status: 500)
        let l4 = EngineProbe.target(port: server.port)
        let l7 = EngineProbe.target(port: server.port, pool: "app")
        let slow = HealthCheck(kind: .http(path: "/", expectStatus: 200), intervalSeconds: 0.1, timeoutSeconds: 0.09, rise: 1, fall: 1)
        probe.engine.update([l4: slow, l7: slow])
        _ = try await probe.waitFor(l4, within: 5) { $0.state == .down }
        _ = try await probe.waitFor(l7, within: 5) { $0.state == .down }
        let downSince = try #require(probe.engine.status(of: l4)).since

        // The same check again: untouched (same state, same since).
        probe.engine.update([l4: slow], scope: { $0.pool == nil })
        #expect(probe.engine.status(of: l4)?.since == downSince)
        #expect(probe.engine.status(of: l7) != nil, "outside the scope: left alone")

        // A changed check restarts keeping the state: still down, same since, before any new check.
        var changed = slow
        changed.rise = 50
        probe.engine.update([l4: changed], scope: { $0.pool == nil })
        #expect(probe.engine.status(of: l4)?.state == .down)
        #expect(probe.engine.status(of: l4)?.since == downSince)
        #expect(!probe.engine.isUp(l4))

        // Not listed in its scope: stopped and forgotten.
        probe.engine.update([:], scope: { $0.pool != nil })
        #expect(probe.engine.status(of: l7) == nil)
        #expect(probe.engine.isUp(l7))
        #expect(Set(probe.engine.snapshot().keys) == [l4])
        await probe.engine.stop()
        #expect(probe.engine.snapshot().isEmpty)
        await server.close()
    }

    @Test func firstChecksSpreadOverTheInterval() async throws {
        let probe = EngineProbe(group: group)
        let server = try await CheckedHTTPServer(group: group)
        let check = HealthCheck(kind: .tcp, intervalSeconds: 1, timeoutSeconds: 0.5, rise: 1, fall: 1)
        let targets = (0..<40).map { HealthTarget(service: "s\($0)", address: .v4(127, 0, 0, 1), port: server.port) }
        let start = Date()
        probe.engine.update(Dictionary(uniqueKeysWithValues: targets.map { ($0, check) }))
        for target in targets { _ = try await probe.waitFor(target, within: 5) { $0.lastCheck != nil } }
        let offsets = targets.compactMap { probe.engine.status(of: $0)?.lastCheck?.timeIntervalSince(start) }.sorted()
        #expect(offsets.count == 40)
        // Random within one interval: not all at once, and none later than the interval (+ slack).
        #expect(offsets.last! - offsets.first! > 0.3, "\(offsets)")
        #expect(offsets.last! < 1.5, "\(offsets)")
        await probe.engine.stop()
        await server.close()
    }
}
