import Foundation
import Testing
import UsherCore
@testable import UsherAlerts

/// What a webhook receives for a summary.
@Suite struct AlertJSONTests {
    @Test func aSummaryCountsAndListsTheFoldedEvents() throws {
        let at = Date(timeIntervalSince1970: 1_796_574_996)
        let event = DaemonEvent(sequence: 3, at: at, kind: .serviceState, severity: .error, service: "web", state: "down",
                                previousState: "degraded", message: "web is down: 0 of 3 reals up")
        let alert = Alert.summary(.init(count: 25, events: [event], since: at, until: at.addingTimeInterval(60)))
        let body = try #require(try JSONSerialization.jsonObject(with: Data(alert.json(host: "lb1"))) as? [String: Any])
        #expect(body["alert"] as? String == "summary" && body["host"] as? String == "lb1" && body["event"] == nil)
        let summary = try #require(body["summary"] as? [String: Any])
        #expect(summary["count"] as? Int == 25 && summary["since"] as? String == "2026-12-06T16:36:36Z"
            && summary["until"] as? String == "2026-12-06T16:37:36Z")
        #expect((summary["events"] as? [[String: Any]])?.first?["state"] as? String == "down")
        #expect(alert.subject == "25 more state changes")
    }
}
