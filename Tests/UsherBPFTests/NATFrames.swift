import UsherCore
import UsherTestSupport

/// IPv4 frames with valid checksums for the NAT tests, and the checks that recompute them.
enum NATFrames {
    static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, ack: UInt8 = 0x10

    /// An IPv4 header (no options, DF, TTL 64) with its checksum, followed by `payload`.
    static func ipv4(from src: IPAddress, to dst: IPAddress, proto: UInt8, _ payload: [UInt8]) -> [UInt8] {
        var header: [UInt8] = [0x45, 0] + Frames.be16(UInt16(20 + payload.count)) + [0x12, 0x34, 0x40, 0, 64, proto, 0, 0]
        header += src.bytes + dst.bytes
        let checksum = Frames.internetChecksum(header)
        header[10] = UInt8(checksum >> 8)
        header[11] = UInt8(checksum & 0xff)
        return header + payload
    }

    /// A TCP segment (20-byte header) with its checksum over the IPv4 pseudo-header.
    static func tcp(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16, flags: UInt8,
                    payload: [UInt8] = Array("usher!".utf8)) -> [UInt8] {
        var segment = Frames.be16(sport) + Frames.be16(dport) + [0, 0, 0, 1, 0, 0, 0, 0]
        segment += [0x50, flags] + Frames.be16(64240) + [0, 0, 0, 0] + payload
        let checksum = Frames.internetChecksum(pseudoHeader(src, dst, proto: 6, length: segment.count) + segment)
        segment[16] = UInt8(checksum >> 8)
        segment[17] = UInt8(checksum & 0xff)
        return segment
    }

    static func pseudoHeader(_ src: IPAddress, _ dst: IPAddress, proto: UInt8, length: Int) -> [UInt8] {
        src.bytes + dst.bytes + [0, proto] + Frames.be16(UInt16(length))
    }

    /// Ethernet (IPv4) around an IP packet.
    static func ether(_ packet: [UInt8], to dst: MACAddress = Frames.balancerMAC, from src: MACAddress = Frames.routerMAC) -> [UInt8] {
        dst.bytes + src.bytes + [0x08, 0x00] + packet
    }

    /// A TCP/IPv4 frame.
    static func tcpFrame(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16, flags: UInt8,
                         dstMAC: MACAddress = Frames.balancerMAC, srcMAC: MACAddress = Frames.routerMAC) -> [UInt8] {
        ether(ipv4(from: src, to: dst, proto: 6, tcp(from: src, sport, to: dst, dport, flags: flags)), to: dstMAC, from: srcMAC)
    }

    /// ICMP destination unreachable, fragmentation needed (type 3 code 4, next-hop MTU), quoting `quote`.
    static func fragmentationNeeded(from router: IPAddress, to dst: IPAddress, mtu: UInt16, quoting quote: [UInt8]) -> [UInt8] {
        var icmp: [UInt8] = [3, 4, 0, 0, 0, 0] + Frames.be16(mtu) + quote
        let checksum = Frames.internetChecksum(icmp)
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff)
        return ether(ipv4(from: router, to: dst, proto: 1, icmp))
    }

    // MARK: Reading a frame (Ethernet + IPv4, no options)

    static func ip(_ frame: [UInt8]) -> [UInt8] { Array(frame[14...]) }
    static func src(_ frame: [UInt8]) -> IPAddress { IPAddress(bytes: Array(frame[26..<30]))! }
    static func dst(_ frame: [UInt8]) -> IPAddress { IPAddress(bytes: Array(frame[30..<34]))! }
    static func sport(_ frame: [UInt8]) -> UInt16 { UInt16(frame[34]) << 8 | UInt16(frame[35]) }
    static func dport(_ frame: [UInt8]) -> UInt16 { UInt16(frame[36]) << 8 | UInt16(frame[37]) }

    /// Whether the IPv4 header checksum of `packet` (starting at the IP header) holds.
    static func ipv4HeaderValid(_ packet: [UInt8]) -> Bool {
        Frames.internetChecksum(Array(packet[0..<Int(packet[0] & 0x0f) * 4])) == 0
    }

    /// Whether the TCP/UDP checksum of an IPv4 packet holds (recomputed over the pseudo-header).
    static func l4ChecksumValid(_ packet: [UInt8]) -> Bool {
        let headerLength = Int(packet[0] & 0x0f) * 4
        let segment = Array(packet[headerLength...])
        let src = IPAddress(bytes: Array(packet[12..<16]))!, dst = IPAddress(bytes: Array(packet[16..<20]))!
        return Frames.internetChecksum(pseudoHeader(src, dst, proto: packet[9], length: segment.count) + segment) == 0
    }
}
