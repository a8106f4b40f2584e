import UsherCore

/// The frames of part 3: IPv4 TCP SYNs with valid IP and TCP checksums (the kernel's stack and
/// conntrack, on the nftables path, check them; the generator keeps the TCP checksum valid as it
/// varies the source port).
public enum LabFrames {
    /// Offset of the TCP source port and of the TCP checksum in `syn`'s frames.
    public static let sourcePortOffset = 34
    public static let checksumOffset = 50

    /// A 54-byte frame: Ethernet, IPv4 (no options, TTL 64, DF), TCP SYN without options.
    public static func syn(from srcMAC: MACAddress, to dstMAC: MACAddress, source: IPAddress, _ sport: UInt16,
                           destination: IPAddress, _ dport: UInt16) -> [UInt8] {
        var tcp = BenchFrames.be16(sport) + BenchFrames.be16(dport) + [0x5e, 0x11, 0x00, 0x01, 0, 0, 0, 0]
        tcp += [0x50, 0x02] + BenchFrames.be16(64240) + [0, 0, 0, 0]
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

    /// Whether the IPv4 header and TCP checksums of `frame` (as `syn` builds them) are valid.
    public static func checksumsValid(_ frame: [UInt8]) -> Bool {
        guard frame.count >= 54 else { return false }
        let ip = Array(frame[14..<34]), tcp = Array(frame[34...])
        return BenchFrames.checksum(ip) == 0 && BenchFrames.checksum(pseudoHeader(ip, length: tcp.count) + tcp) == 0
    }

    static func pseudoHeader(_ ip: [UInt8], length: Int) -> [UInt8] {
        Array(ip[12..<20]) + [0, 6] + BenchFrames.be16(UInt16(length))
    }
}
