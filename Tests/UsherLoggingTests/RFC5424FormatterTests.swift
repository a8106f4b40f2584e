import Foundation
import Testing
import Logging
import UsherCore
@testable import UsherLogging

/// The bytes of a log line as RFC 5424 says them, checked against messages written out by hand
/// from the RFC's ABNF (§6) and its examples.
@Suite struct RFC5424FormatterTests {
    let formatter = RFC5424Formatter(facility: SyslogFacility.daemon.code, hostname: "lb1.example.com", appName: "usher", procID: "4242")
    /// 2026-12-06 16:36:36.250 UTC.
    let at = Date(timeIntervalSince1970: 1_796_574_996.25)

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func aRealGoingDownWithItsFieldsAsStructuredData() {
        let line = formatter.format(severity: 4, timestamp: at, messageID: "real-state",
                                    parameters: [("state", "down"), ("service", "web"), ("real", "198.51.100.12:80")],
                                    message: "web 198.51.100.12:80 is down")
        #expect(text(line) == "<28>1 2026-12-06T16:36:36.250000Z lb1.example.com usher 4242 real-state "
            + "[usher@32473 real=\"198.51.100.12:80\" service=\"web\" state=\"down\"] web 198.51.100.12:80 is down")
    }

    @Test func priIsFacilityTimesEightPlusSeverity() {
        var local7 = formatter
        local7.facility = SyslogFacility.local7.code
        #expect(text(local7.format(severity: 2, timestamp: at, messageID: nil, parameters: [], message: "x")).hasPrefix("<186>1 "))
        var kern = formatter
        kern.facility = SyslogFacility.kern.code
        #expect(text(kern.format(severity: 0, timestamp: at, messageID: nil, parameters: [], message: "x")).hasPrefix("<0>1 "))
        #expect(text(formatter.format(severity: 6, timestamp: at, messageID: nil, parameters: [], message: "x")).hasPrefix("<30>1 "))
    }

    @Test func everySwiftLogLevelHasItsSeverity() {
        let severities = [Logger.Level.trace, .debug, .info, .notice, .warning, .error, .critical].map(\.syslogSeverity)
        #expect(severities == [7, 7, 6, 5, 4, 3, 2])
    }

    @Test func noMetadataNoMessageIDAndNoMessageAreNilValues() {
        #expect(text(formatter.format(severity: 6, timestamp: at, messageID: nil, parameters: [], message: ""))
            == "<30>1 2026-12-06T16:36:36.250000Z lb1.example.com usher 4242 - -")
    }

    @Test func quoteBackslashAndBracketAreEscapedInValues() {
        let line = formatter.format(severity: 3, timestamp: at, messageID: nil,
                                    parameters: [("error", #"path "C:\x" [1]"#)], message: "m")
        #expect(text(line).hasSuffix(#"[usher@32473 error="path \"C:\\x\" [1\]"] m"#))
    }

    @Test func namesKeepOnlyWhatAnSDNameMayHoldAndAtMost32Characters() {
        let line = formatter.format(severity: 6, timestamp: at, messageID: nil,
                                    parameters: [("a b=c]d\"é", "1"), (String(repeating: "n", count: 40), "2"), ("", "3")],
                                    message: "m")
        let element = text(line).split(separator: "[")[1].split(separator: "]")[0]
        let names = element.split(separator: " ").dropFirst().map { $0.split(separator: "=")[0] }
        #expect(names == ["_", "a_b_c_d__", Substring(String(repeating: "n", count: 32))])
    }

    @Test func headerFieldsArePrintableASCIIWithinTheirLimits() {
        let odd = RFC5424Formatter(facility: 3, hostname: "lb one", appName: String(repeating: "a", count: 60), procID: "")
        let fields = text(odd.format(severity: 6, timestamp: at, messageID: "kind with space and more than thirty-two characters",
                                     parameters: [], message: "")).split(separator: " ")
        #expect(fields[2] == "lb_one")
        #expect(fields[3] == Substring(String(repeating: "a", count: 48)))
        #expect(fields[4] == "-")
        #expect(fields[5] == "kind_with_space_and_more_than_th")
    }

    @Test func aMessageInUTF8StartsWithTheBOMAndASCIIDoesNot() {
        let utf8 = formatter.format(severity: 6, timestamp: at, messageID: nil, parameters: [], message: "réel")
        let tail = Array(utf8.suffix(3 + "réel".utf8.count))
        #expect(tail == [0xEF, 0xBB, 0xBF] + Array("réel".utf8))
        let ascii = formatter.format(severity: 6, timestamp: at, messageID: nil, parameters: [], message: "real")
        #expect(text(ascii).hasSuffix(" - real"))
    }

    @Test func timestampsAreUTCWithMicroseconds() {
        #expect(RFC5424Formatter.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(RFC5424Formatter.timestamp(Date(timeIntervalSince1970: 1_700_000_000.9999999)) == "2023-11-14T22:13:21.000000Z")
        #expect(RFC5424Formatter.timestamp(Date(timeIntervalSince1970: 951_782_400.000123)) == "2000-02-29T00:00:00.000123Z")
    }

    @Test func aLongLineIsCutAtACharactersEnd() {
        let bytes = Array("aé".utf8) // 61 C3 A9
        #expect(RFC5424Formatter.truncated(bytes, to: 2) == [0x61])
        #expect(RFC5424Formatter.truncated(bytes, to: 3) == bytes)
    }
}
