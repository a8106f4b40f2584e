import Foundation
import Testing
@testable import UsherCore

/// `body-timeout` and `min-body-rate`: read with their units, bounded, defaulted, and a saved
/// config from before they existed still loads.
@Suite struct L7BodyLimitsTests {
    static let withBodyLimits = "idle-timeout: 1m\n      body-timeout: 30s\n      min-body-rate: @RATE@"

    @Test(arguments: [("1KiB/s", 1024), ("500", 500), ("2KiB", 2048), ("0", 0)])
    func readWithUnits(text: String, rate: Int) throws {
        let yaml = try l7File(replacing: "idle-timeout: 1m", with: Self.withBodyLimits.replacingOccurrences(of: "@RATE@", with: text))
        let limits = try #require(try ConfigLoader.parse(yaml: yaml, file: "f").services[0].l7?.limits)
        #expect(limits.bodyTimeoutSeconds == 30 && limits.minBodyRate == rate)
    }

    @Test func defaults() {
        #expect(HTTPLimits().bodyTimeoutSeconds == 60 && HTTPLimits().minBodyRate == 1024)
    }

    @Test func outOfBounds() throws {
        try expectL7Error("idle-timeout: 1m", "idle-timeout: 1m\n      body-timeout: 2h", line: l7Line("idle-timeout: 1m") + 1, field: "services[0].limits.body-timeout",
                          message: "body-timeout 2h is above 1h", hint: "use 100ms to 1h")
        try expectL7Error("idle-timeout: 1m", "idle-timeout: 1m\n      min-body-rate: 2GiB/s", line: l7Line("idle-timeout: 1m") + 1,
                          field: "services[0].limits.min-body-rate",
                          message: "min-body-rate 2GiB is above 1GiB", hint: "use 0 to 1GiB")
    }

    @Test func aSavedConfigWithoutThemLoadsWithTheDefaults() throws {
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(HTTPLimits(maxBodyBytes: 5))) as! [String: Any]
        old["bodyTimeoutSeconds"] = nil
        old["minBodyRate"] = nil
        let limits = try JSONDecoder().decode(HTTPLimits.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(limits == HTTPLimits(maxBodyBytes: 5))
    }
}
