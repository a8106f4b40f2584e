import Foundation
import Testing
import UsherCore
@testable import UsherAlerts

/// At most N alerts a minute; the rest folded into one summary sent when a slot frees.
@Suite struct AlertRateLimiterTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func event(_ n: Int) -> DaemonEvent {
        DaemonEvent(sequence: n, at: t0, kind: .realState, severity: .warning, service: "web", real: "198.51.100.1\(n % 10):80",
                    state: "down", previousState: "up", message: "real \(n) is down")
    }

    @Test func theFirstNGoOutAndTheRestAreFoldedIntoOneSummary() throws {
        var limiter = AlertRateLimiter(limit: 3)
        var actions: [AlertRateLimiter.Action] = []
        for i in 1...8 { actions.append(limiter.offer(event(i), at: t0.addingTimeInterval(Double(i)))) }
        #expect(actions.prefix(3) == [.send(.event(event(1))), .send(.event(event(2))), .send(.event(event(3)))])
        #expect(actions.dropFirst(3).allSatisfy { $0 == .folded })
        // Nothing until the first alert's minute is over (it went out at t0 + 1).
        #expect(limiter.due(at: t0.addingTimeInterval(60)) == nil)
        #expect(limiter.nextDue == t0.addingTimeInterval(61))
        guard case let .summary(summary)? = limiter.due(at: t0.addingTimeInterval(61)) else {
            Issue.record("no summary once a slot was free")
            return
        }
        #expect(summary.count == 5 && summary.events == (4...8).map(event))
        #expect(summary.since == t0.addingTimeInterval(4) && summary.until == t0.addingTimeInterval(61))
        #expect(limiter.due(at: t0.addingTimeInterval(62)) == nil, "a second summary of nothing")
        #expect(limiter.nextDue == nil)
    }

    @Test func whileEventsWaitANewOneIsFoldedBehindThemEvenWithAFreeSlot() {
        var limiter = AlertRateLimiter(limit: 1)
        #expect(limiter.offer(event(1), at: t0) == .send(.event(event(1))))
        #expect(limiter.offer(event(2), at: t0.addingTimeInterval(1)) == .folded)
        // The slot is free at t0 + 60 but the summary has not gone yet: order is kept.
        #expect(limiter.offer(event(3), at: t0.addingTimeInterval(60)) == .folded)
        guard case let .summary(summary)? = limiter.due(at: t0.addingTimeInterval(60)) else {
            Issue.record("no summary")
            return
        }
        #expect(summary.count == 2)
        // The summary took the slot for a minute.
        #expect(limiter.offer(event(4), at: t0.addingTimeInterval(100)) == .folded)
        #expect(limiter.offer(event(5), at: t0.addingTimeInterval(121)) == .folded, "a summary waits, so the event queues behind it")
        if case let .summary(next)? = limiter.due(at: t0.addingTimeInterval(121)) {
            #expect(next.count == 2)
        } else {
            Issue.record("no second summary")
        }
    }

    @Test func aSummaryListsTheFirstTwentyAndCountsTheRest() {
        var limiter = AlertRateLimiter(limit: 1)
        for i in 0..<51 { _ = limiter.offer(event(i), at: t0) }
        guard case let .summary(summary)? = limiter.due(at: t0.addingTimeInterval(60)) else {
            Issue.record("no summary")
            return
        }
        #expect(summary.count == 50 && summary.events.count == AlertRateLimiter.summaryDetail)
        #expect(Alert.summary(summary).text.contains("… and 30 more"))
    }

    @Test func slotsFreeOneByOneAsTheirMinuteEnds() {
        var limiter = AlertRateLimiter(limit: 2)
        #expect(limiter.offer(event(1), at: t0) == .send(.event(event(1))))
        #expect(limiter.offer(event(2), at: t0.addingTimeInterval(30)) == .send(.event(event(2))))
        #expect(limiter.offer(event(3), at: t0.addingTimeInterval(59)) == .folded)
        #expect(limiter.due(at: t0.addingTimeInterval(60)) != nil)
        #expect(limiter.offer(event(4), at: t0.addingTimeInterval(89)) == .folded)
        #expect(limiter.nextDue == t0.addingTimeInterval(90))
    }
}
