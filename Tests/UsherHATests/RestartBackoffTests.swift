import Testing
@testable import UsherHA

/// When the supervisor starts a dead keepalived again.
@Suite struct RestartBackoffTests {
    let t0 = ContinuousClock.now

    @Test func aFirstDeathWaitsOneSecond() {
        var backoff = RestartBackoff(startedAt: t0)
        let at = backoff.exited(at: t0 + .seconds(60))
        #expect(at == t0 + .seconds(61))
        #expect(!backoff.due(at: t0 + .milliseconds(60_999)))
        #expect(backoff.due(at: t0 + .seconds(61)))
    }

    @Test func dyingAgainAndAgainDoublesUpToThirtySeconds() {
        var backoff = RestartBackoff(startedAt: t0)
        var now = t0
        var waits: [Duration] = []
        for _ in 0..<7 {
            now += .seconds(1) // each run dies a second after its start
            let at = backoff.exited(at: now)
            waits.append(at - now)
            now = at
            backoff.started(at: now)
        }
        #expect(waits == [1, 2, 4, 8, 16, 30, 30].map { Duration.seconds($0) })
    }

    @Test func aHealthyRunResetsTheWait() {
        var backoff = RestartBackoff(startedAt: t0)
        var now = t0 + .seconds(1)
        now = backoff.exited(at: now)
        backoff.started(at: now)
        now = backoff.exited(at: now + .seconds(1)) // a quick death: 2 s
        backoff.started(at: now)
        let at = backoff.exited(at: now + .seconds(10)) // ran 10 s: healthy
        #expect(at - (now + .seconds(10)) == .seconds(1))
    }

    @Test func nothingIsDueWhileItRuns() {
        let backoff = RestartBackoff(startedAt: t0)
        #expect(!backoff.due(at: t0 + .seconds(3600)))
    }
}
