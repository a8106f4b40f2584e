import UsherCore

/// Hand-built Ethernet frames for tests that run packets through the balancer program.
public enum Frames {
    public static let balancerMAC = MACAddress("02:00:00:00:00:01")!
    public static let routerMAC = MACAddress("02:00:00:00:00:aa")!

    /// Ethernet + IPv4 (valid header checksum) + a 20-byte TCP SYN with 6 payload bytes.
    public static func tcpSYN(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16,
                       dstMAC: MACAddress = balancerMAC, srcMAC: MACAddress = routerMAC) -> [UInt8] {
        tcp(from: src, sport, to: dst, dport, flags: 0x02, dstMAC: dstMAC, srcMAC: srcMAC)
    }

    /// The same segment with TCP `flags` (0x10: an ACK, a later packet of an established flow;
    /// a SYN on a tracked tuple is a new connection, which the balancer places anew).
    public static func tcp(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16, flags: UInt8,
                           dstMAC: MACAddress = balancerMAC, srcMAC: MACAddress = routerMAC) -> [UInt8] {
        let payload: [UInt8] = Array("usher!".utf8)
        var tcp: [UInt8] = be16(sport) + be16(dport) + [0, 0, 0, 1] + [0, 0, 0, 0]
        tcp += [0x50, flags] + be16(64240) + [0, 0] + [0, 0] // doff 5, flags, window, csum, urg
        let totalLength = UInt16(20 + tcp.count + payload.count)
        var ipv4: [UInt8] = [0x45, 0] + be16(totalLength) + [0x12, 0x34, 0x40, 0] + [64, 6, 0, 0]
        ipv4 += src.bytes + dst.bytes
        let checksum = internetChecksum(ipv4)
        ipv4[10] = UInt8(checksum >> 8)
        ipv4[11] = UInt8(checksum & 0xff)
        return dstMAC.bytes + srcMAC.bytes + [0x08, 0x00] + ipv4 + tcp + payload
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    public static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    public static func internetChecksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: bytes.count, by: 2) {
            sum += UInt32(bytes[i]) << 8 | UInt32(i + 1 < bytes.count ? bytes[i + 1] : 0)
        }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
