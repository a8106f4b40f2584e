import UsherCore

/// The frames the benchmarks send: a client's TCP segment to a service, as a router would hand
/// it to the balancer (Ethernet, IPv4 without options or IPv6, TCP, a few payload bytes).
public enum BenchFrames {
    public static let balancerMAC = MACAddress("02:00:00:00:00:01")!
    public static let routerMAC = MACAddress("02:00:00:00:00:aa")!

    /// A TCP segment from `src`:`sport` to `dst`:`dport` with `flags` (0x02 SYN, 0x10 ACK).
    public static func tcp(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16,
                           flags: UInt8 = 0x10, payload: Int = 6) -> [UInt8] {
        let body = [UInt8](repeating: 0x75, count: payload)
        var tcp = be16(sport) + be16(dport) + [0, 0, 0, 1, 0, 0, 0, 1]
        tcp += [0x50, flags] + be16(64240) + [0, 0, 0, 0] // doff 5, flags, window, checksum, urgent
        let l2 = balancerMAC.bytes + routerMAC.bytes
        if src.isV4 {
            var ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count + body.count)) + [0x12, 0x34, 0x40, 0, 64, 6, 0, 0]
            ip += src.bytes + dst.bytes
            let sum = checksum(ip)
            ip[10] = UInt8(sum >> 8)
            ip[11] = UInt8(sum & 0xFF)
            return l2 + [0x08, 0x00] + ip + tcp + body
        }
        var ip: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(tcp.count + body.count)) + [6, 64]
        ip += src.bytes + dst.bytes
        return l2 + [0x86, 0xDD] + ip + tcp + body
    }

    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }

    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: 0, to: bytes.count, by: 2) {
            sum += UInt32(bytes[i]) << 8 | UInt32(i + 1 < bytes.count ? bytes[i + 1] : 0)
        }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
