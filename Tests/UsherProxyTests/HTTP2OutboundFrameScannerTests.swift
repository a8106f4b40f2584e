import Testing
@testable import UsherProxy

@Suite struct HTTP2OutboundFrameScannerTests {
    typealias F = HTTP2HostileClientTests

    static func goAway(_ code: UInt32) -> [UInt8] {
        F.frame(type: 0x07, [0, 0, 0, 1, UInt8(code >> 24), UInt8(code >> 16 & 0xff), UInt8(code >> 8 & 0xff), UInt8(code & 0xff)])
    }

    func scan(_ scanner: inout HTTP2OutboundFrameScanner, _ bytes: [UInt8]) -> UInt32? {
        bytes.withUnsafeBytes { scanner.scan($0) }
    }

    @Test func findsAGoAwayAndItsCodeBetweenOtherFrames() {
        var s = HTTP2OutboundFrameScanner()
        #expect(scan(&s, F.frame(type: 0x04) + F.frame(type: 0x01, flags: 4, stream: 1, [0x88])) == nil)
        #expect(scan(&s, F.frame(type: 0x06, [UInt8](repeating: 0, count: 8)) + Self.goAway(0x6)) == 0x6)
        var idle = HTTP2OutboundFrameScanner()
        #expect(scan(&idle, Self.goAway(0)) == 0, "NO_ERROR is reported as such")
    }

    @Test func aGoAwaySplitAcrossWritesByteByByte() {
        var s = HTTP2OutboundFrameScanner()
        let bytes = F.frame(type: 0x04) + Self.goAway(0xb)
        let found = bytes.compactMap { scan(&s, [$0]) }
        #expect(found == [0xb])
    }

    /// A response body holding the bytes of a GOAWAY is payload, never taken for a frame.
    @Test func dataPayloadIsSkippedByItsLength() {
        var s = HTTP2OutboundFrameScanner()
        let body = Self.goAway(0x1) + Self.goAway(0x2)
        // A DATA frame's header, its payload written apart (as NIO writes it).
        #expect(scan(&s, [0, 0, UInt8(body.count), 0x00, 0, 0, 0, 0, 1]) == nil)
        #expect(scan(&s, Array(body.prefix(5))) == nil)
        #expect(scan(&s, Array(body.dropFirst(5))) == nil)
        #expect(scan(&s, F.frame(type: 0x04, flags: 1)) == nil)
        #expect(scan(&s, Self.goAway(0x1)) == 0x1)
    }
}
