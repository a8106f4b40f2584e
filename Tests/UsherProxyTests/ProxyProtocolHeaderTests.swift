#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Testing
import UsherCore
@testable import UsherProxy

@Suite struct ProxyProtocolHeaderTests {
    func encode(_ v: ProxyProtocolVersion, _ src: SocketAddress?, _ dst: SocketAddress?) -> [UInt8] {
        var b = ByteBuffer()
        ProxyProtocolHeader.encode(v, source: src, destination: dst, into: &b)
        return Array(b.readableBytesView)
    }

    @Test func v1TextForIPv4AndIPv6() throws {
        let v4 = encode(.v1, try .init(ipAddress: "192.0.2.7", port: 53422), try .init(ipAddress: "203.0.113.10", port: 80))
        #expect(String(decoding: v4, as: UTF8.self) == "PROXY TCP4 192.0.2.7 203.0.113.10 53422 80\r\n")
        let v6 = encode(.v1, try .init(ipAddress: "2001:db8::7", port: 1), try .init(ipAddress: "2001:db8::1", port: 443))
        #expect(String(decoding: v6, as: UTF8.self) == "PROXY TCP6 2001:db8::7 2001:db8::1 1 443\r\n")
        #expect(String(decoding: encode(.v1, nil, nil), as: UTF8.self) == "PROXY UNKNOWN\r\n")
    }

    @Test func v2BinaryForIPv4ByteForByte() throws {
        let b = encode(.v2, try .init(ipAddress: "192.0.2.7", port: 0xd0ae), try .init(ipAddress: "203.0.113.10", port: 443))
        #expect(b == [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
                      0x21, 0x11, 0x00, 0x0C,
                      192, 0, 2, 7, 203, 0, 113, 10,
                      0xd0, 0xae, 0x01, 0xbb])
    }

    @Test func v2BinaryForIPv6AndMappedIPv4() throws {
        let b = encode(.v2, try .init(ipAddress: "2001:db8::7", port: 1), try .init(ipAddress: "2001:db8::1", port: 2))
        #expect(b.count == 16 + 36)
        #expect(Array(b[12..<16]) == [0x21, 0x21, 0x00, 0x24])
        #expect(Array(b[16..<20]) == [0x20, 0x01, 0x0d, 0xb8])
        #expect(Array(b[48..<52]) == [0x00, 0x01, 0x00, 0x02])
        let mapped = encode(.v2, try .init(ipAddress: "::ffff:192.0.2.7", port: 1), try .init(ipAddress: "::ffff:192.0.2.1", port: 2))
        #expect(Array(mapped[12..<16]) == [0x21, 0x11, 0x00, 0x0C], "a dual-stack socket's IPv4 peer is sent as IPv4")
    }

    @Test func v2LocalWhenFamiliesDiffer() throws {
        let b = encode(.v2, try .init(ipAddress: "192.0.2.7", port: 1), try .init(ipAddress: "2001:db8::1", port: 2))
        #expect(Array(b[12...]) == [0x20, 0x00, 0x00, 0x00])
    }
}

@Suite struct AccessLogRecordTests {
    @Test func oneParseableLine() throws {
        let r = AccessLogRecord(client: try .init(ipAddress: "192.0.2.7", port: 5), service: "web", method: "GET",
                                target: "/a\"b\n", status: 200, bytesSent: 12, realServer: "198.51.100.1:80",
                                timeToFirstByte: .microseconds(1500), total: .microseconds(2_345_678))
        var b = ByteBuffer()
        var ts = timespec()
        ts.tv_sec = 1_700_000_000
        ts.tv_nsec = 5_000_000
        r.write(to: &b, wallClock: ts)
        #expect(String(buffer: b) ==
            "2023-11-14T22:13:20.005Z 192.0.2.7:5 web \"GET /a\\x22b\\x0a\" 200 12 198.51.100.1:80 ttfb_ms=1.500 total_ms=2345.678\n")
    }
}
