import NIOCore
import UsherCore

/// The PROXY protocol header (HAProxy's spec, "The PROXY protocol", versions 1 and 2) that
/// tells a real server the client's address and port and the address it connected to.
enum ProxyProtocolHeader {
    /// The v2 signature: `\r\n\r\n\0\r\nQUIT\n`.
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// `source`: the client; `destination`: the address the client connected to. When either
    /// is missing or their families differ, v1 says `UNKNOWN` and v2 sends a LOCAL header
    /// (the receiver then uses the connection's own addresses).
    static func encode(_ version: ProxyProtocolVersion, source: SocketAddress?, destination: SocketAddress?,
                       into buffer: inout ByteBuffer) {
        let pair = Endpoints(source: source, destination: destination)
        switch version {
        case .v1: encodeV1(pair, into: &buffer)
        case .v2: encodeV2(pair, into: &buffer)
        }
    }

    private struct Endpoints {
        var src: [UInt8] = [], dst: [UInt8] = []
        var srcPort: UInt16 = 0, dstPort: UInt16 = 0

        init(source: SocketAddress?, destination: SocketAddress?) {
            guard let source, let destination,
                  var s = source.addressBytes, var d = destination.addressBytes,
                  let sp = source.port, let dp = destination.port else { return }
            s = Endpoints.unmapped(s)
            d = Endpoints.unmapped(d)
            guard s.count == d.count else { return }
            (src, dst, srcPort, dstPort) = (s, d, UInt16(sp), UInt16(dp))
        }

        var isKnown: Bool { !src.isEmpty }
        var isV4: Bool { src.count == 4 }

        /// `::ffff:a.b.c.d` (a dual-stack socket's view of an IPv4 peer) as `a.b.c.d`.
        static func unmapped(_ b: [UInt8]) -> [UInt8] {
            if b.count == 16, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff { return Array(b[12...]) }
            return b
        }
    }

    /// `PROXY TCP4 192.0.2.7 203.0.113.10 53422 80\r\n` (at most 107 bytes).
    private static func encodeV1(_ e: Endpoints, into buffer: inout ByteBuffer) {
        guard e.isKnown, let s = IPAddress(bytes: e.src), let d = IPAddress(bytes: e.dst) else {
            buffer.writeString("PROXY UNKNOWN\r\n")
            return
        }
        buffer.writeString("PROXY \(e.isV4 ? "TCP4" : "TCP6") \(s) \(d) \(e.srcPort) \(e.dstPort)\r\n")
    }

    /// Signature, version 2 + command PROXY (0x21), family+transport (0x11 TCP/IPv4, 0x21
    /// TCP/IPv6), address length (12 or 36, big endian), then source and destination addresses
    /// and ports, all in network order. Unknown endpoints: command LOCAL (0x20), family 0, length 0.
    private static func encodeV2(_ e: Endpoints, into buffer: inout ByteBuffer) {
        buffer.writeBytes(v2Signature)
        guard e.isKnown else {
            buffer.writeBytes([0x20, 0x00, 0x00, 0x00])
            return
        }
        buffer.writeInteger(UInt8(0x21))
        buffer.writeInteger(UInt8(e.isV4 ? 0x11 : 0x21))
        buffer.writeInteger(UInt16(e.isV4 ? 12 : 36), endianness: .big)
        buffer.writeBytes(e.src)
        buffer.writeBytes(e.dst)
        buffer.writeInteger(e.srcPort, endianness: .big)
        buffer.writeInteger(e.dstPort, endianness: .big)
    }
}
