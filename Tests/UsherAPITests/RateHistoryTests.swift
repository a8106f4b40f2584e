import Foundation
import Testing
@testable import UsherAPI

/// The status page's 15 minutes of rates.
@Suite struct RateHistoryTests {
    @Test func ratesAreDifferencesOverTheInterval() {
        let history = RateHistory(interval: .seconds(5), span: .seconds(15))
        #expect(history.capacity == 3)
        let start = Date(timeIntervalSince1970: 1_000_000)
        history.record(.init(at: start, packets: 100, bytes: 1000, requests: 10))
        #expect(history.samples().isEmpty)
        history.record(.init(at: start + 5, packets: 600, bytes: 6000, requests: 20))
        let first = try! #require(history.samples().first)
        #expect(first.packetsPerSecond == 100 && first.bytesPerSecond == 1000 && first.requestsPerSecond == 2)
        // A counter that went back (the proxy restarted) counts 0, not a huge rate.
        history.record(.init(at: start + 10, packets: 1100, bytes: 11000, requests: 0))
        #expect(history.samples().last?.requestsPerSecond == 0)
        history.record(.init(at: start + 15, packets: 1100, bytes: 11000, requests: 0))
        history.record(.init(at: start + 20, packets: 1100, bytes: 11000, requests: 0))
        #expect(history.samples().count == 3)
        #expect(history.samples().first?.at == start + 10)
    }
}
