import Testing
import UsherCore
@testable import UsherHealth

/// Rise/fall counting alone.
@Suite struct RiseFallTests {
    @Test func startsUpAndFallsAfterExactlyFallConsecutiveFailures() {
        var state = RiseFall(rise: 2, fall: 3)
        #expect(state.health == .up)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.health == .up)
        #expect(state.record(passed: false) == .down)
        #expect(state.health == .down)
        #expect(state.record(passed: false) == nil, "already down: no second transition")
    }

    @Test func risesAfterExactlyRiseConsecutiveSuccesses() {
        var state = RiseFall(rise: 2, fall: 1)
        #expect(state.record(passed: false) == .down)
        #expect(state.record(passed: true) == nil)
        #expect(state.health == .down)
        #expect(state.record(passed: true) == .up)
        #expect(state.health == .up)
    }

    @Test func aResultAgainstTheStreakResetsIt() {
        var state = RiseFall(rise: 3, fall: 3)
        for _ in 0..<10 {
            #expect(state.record(passed: false) == nil)
            #expect(state.record(passed: false) == nil)
            #expect(state.record(passed: true) == nil)
        }
        #expect(state.health == .up)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == .down)
        for _ in 0..<10 {
            #expect(state.record(passed: true) == nil)
            #expect(state.record(passed: true) == nil)
            #expect(state.record(passed: false) == nil)
        }
        #expect(state.health == .down)
    }

    @Test func riseAndFallBelowOneCountAsOne() {
        var state = RiseFall(rise: 0, fall: -2)
        #expect(state.record(passed: false) == .down)
        #expect(state.record(passed: true) == .up)
    }

    @Test func startsDownWhenToldAndNeedsRiseSuccesses() {
        var state = RiseFall(rise: 2, fall: 3, startingAt: .down)
        #expect(state.health == .down)
        #expect(state.record(passed: true) == nil)
        #expect(state.record(passed: true) == .up)
    }
}
