import UsherCore

/// The frames of parts 3 and 3b: IPv4 TCP segments of established connections (ACK) with valid
/// IP and TCP checksums (the kernel's stack and conntrack, on the nftables path, check them; the
/// generator keeps the TCP checksum valid as it varies the source port). ACKs, not SYNs: a
/// balancer forwards mostly established flows, and Usher's DSR modes make no flow entry for a
/// bare SYN (SYN-flood protection), so SYNs would measure another path.
public enum LabFrames {
    /// Offset of the TCP source port and of the TCP checksum in `segment`'s frames.
    public static let sourcePortOffset = 34
    public static let checksumOffset = 50

    /// A 54-byte frame: Ethernet, IPv4 (no options, TTL 64, DF), TCP without options or payload,
    /// with `flags` (0x10 ACK, 0x02 SYN).
    public static func segment(from srcMAC: MACAddress, to dstMAC: MACAddress, source: IPAddress, _ sport: UInt16,
                               destination: IPAddress, _ dport: UInt16, flags: UInt8 = 0x10) -> [UInt8] {
        let ack: [UInt8] = flags & 0x10 != 0 ? [0x00, 0x00, 0x10, 0x01] : [0, 0, 0, 0]
        var tcp = BenchFrames.be16(sport) + BenchFrames.be16(dport) + [0x5e, 0x11, 0x00, 0x01] + ack
        tcp += [0x50, flags] + BenchFrames.be16(64240) + [0, 0, 0, 0]
        var ip: [UInt8] = [0x45, 0] + BenchFrames.be16(UInt16(20 + tcp.count)) + [0x00, 0x01, 0x40, 0, 64, 6, 0, 0]
        ip += source.bytes + destination.bytes
        let ipSum = BenchFrames.checksum(ip)
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xFF)
        let tcpSum = BenchFrames.checksum(pseudoHeader(ip, length: tcp.count) + tcp)
        tcp[16] = UInt8(tcpSum >> 8)
        tcp[17] = UInt8(tcpSum & 0xFF)
        return dstMAC.bytes + srcMAC.bytes + [0x08, 0x00] + ip + tcp
    }

    /// Whether the IPv4 header and TCP checksums of `frame` (as `segment` builds them) are valid.
    public static func checksumsValid(_ frame: [UInt8]) -> Bool {
        guard frame.count >= 54 else { return false }
        let ip = Array(frame[14..<34]), tcp = Array(frame[34...])
        return BenchFrames.checksum(ip) == 0 && BenchFrames.checksum(pseudoHeader(ip, length: tcp.count) + tcp) == 0
    }

    static func pseudoHeader(_ ip: [UInt8], length: Int) -> [UInt8] {
        Array(ip[12..<20]) + [0, 6] + BenchFrames.be16(UInt16(length))
    }
}
