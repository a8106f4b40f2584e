import Foundation
import Testing
import UsherBPF
import UsherCore
@testable import UsherSync

/// The merge rule alone, and when a peer is owed a full pass.
@Suite struct FlowMergeAndPeersTests {
    @Test func aReceivedFlowIsWrittenOnlyOverNothingOrOlder() {
        #expect(FlowMerge.decide(received: 100, local: nil) == .write)
        #expect(FlowMerge.decide(received: 100, local: 99) == .write)
        #expect(FlowMerge.decide(received: 100, local: 100) == .keepLocal)
        #expect(FlowMerge.decide(received: 100, local: 101) == .keepLocal)
    }

    @Test func aReplyTupleHeldByAnotherFlowIsTakenOnlyFromAnOlderOne() {
        #expect(FlowMerge.decide(received: 100, local: nil, tupleHolder: 99) == .write)
        #expect(FlowMerge.decide(received: 100, local: nil, tupleHolder: 100) == .keepLocal)
        #expect(FlowMerge.decide(received: 100, local: 50, tupleHolder: 150) == .keepLocal)
    }

    @Test func agesTurnIntoLocalTimes() {
        #expect(FlowMerge.age(now: 5_000_000_000, lastSeen: 3_500_000_000) == 1500)
        #expect(FlowMerge.age(now: 1, lastSeen: 2) == 0, "a stamp after now (clock ticks) is age 0")
        #expect(FlowMerge.age(now: UInt64.max, lastSeen: 0) == UInt32.max)
        #expect(FlowMerge.localTime(now: 5_000_000_000, ageMilliseconds: 1500) == 3_500_000_000)
        #expect(FlowMerge.localTime(now: 1_000, ageMilliseconds: 1) == 0)
    }

    @Test func aPeerAppearsWhenFirstHeardAndAgainAfterASilence() {
        let a = IPAddress("192.0.2.12")!, b = IPAddress("192.0.2.13")!, stranger = IPAddress("192.0.2.99")!
        var table = PeerTable(peers: [a, b])
        let t0 = ContinuousClock.now
        let stranger0 = table.heard(from: stranger, at: t0)
        #expect(!table.isPeer(stranger) && !stranger0)
        let first = table.heard(from: a, at: t0)
        let again = table.heard(from: a, at: t0 + .milliseconds(250))
        #expect(first && !again)
        let appeared = table.takeAppeared()
        let appearedAgain = table.takeAppeared()
        #expect(appeared == [a] && appearedAgain.isEmpty)
        #expect(table.isPresent(a, at: t0 + .seconds(2)) && !table.isPresent(b, at: t0))
        #expect(!table.isPresent(a, at: t0 + .seconds(3)))
        let back = table.heard(from: a, at: t0 + .seconds(3))
        #expect(back, "silent for longer than the timeout: it restarted")
        let appearedBack = table.takeAppeared()
        #expect(appearedBack == [a])
        #expect(table.entries[a]?.appearances == 2)
    }
}
