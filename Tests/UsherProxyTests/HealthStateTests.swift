import Testing
@testable import UsherProxy

/// Rise/fall counting alone.
@Suite struct HealthStateTests {
    @Test func startsUpAndFallsAfterExactlyFallConsecutiveFailures() {
        var state = HealthState(rise: 2, fall: 3)
        #expect(state.isUp)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.isUp)
        #expect(state.record(passed: false) == false)
        #expect(!state.isUp)
        #expect(state.record(passed: false) == nil, "already down: no second transition")
    }

    @Test func risesAfterExactlyRiseConsecutiveSuccesses() {
        var state = HealthState(rise: 2, fall: 1)
        #expect(state.record(passed: false) == false)
        #expect(state.record(passed: true) == nil)
        #expect(!state.isUp)
        #expect(state.record(passed: true) == true)
        #expect(state.isUp)
    }

    @Test func aResultAgainstTheStreakResetsIt() {
        var state = HealthState(rise: 3, fall: 3)
        for _ in 0..<10 {
            #expect(state.record(passed: false) == nil)
            #expect(state.record(passed: false) == nil)
            #expect(state.record(passed: true) == nil)
        }
        #expect(state.isUp)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == nil)
        #expect(state.record(passed: false) == false)
        for _ in 0..<10 {
            #expect(state.record(passed: true) == nil)
            #expect(state.record(passed: true) == nil)
            #expect(state.record(passed: false) == nil)
        }
        #expect(!state.isUp)
    }

    @Test func riseAndFallBelowOneCountAsOne() {
        var state = HealthState(rise: 0, fall: -2)
        #expect(state.record(passed: false) == false)
        #expect(state.record(passed: true) == true)
    }
}
