import UsherCore

/// The frames the benchmarks send: a client's TCP segment to a service, as a router would hand
/// it to the balancer (Ethernet, IPv4 without options or IPv6, TCP, a few payload bytes), with
/// valid checksums, so that a NAT path's incremental updates can be checked on its output.
public enum BenchFrames {
    public static let balancerMAC = MACAddress("02:00:00:00:00:01")!
    public static let routerMAC = MACAddress("02:00:00:00:00:aa")!

    /// The addresses and ports of a TCP segment.
    public struct Endpoints: Hashable, Sendable, CustomStringConvertible {
        public var source: IPAddress, sourcePort: UInt16
        public var destination: IPAddress, destinationPort: UInt16

        public init(source: IPAddress, sourcePort: UInt16, destination: IPAddress, destinationPort: UInt16) {
            self.source = source
            self.sourcePort = sourcePort
            self.destination = destination
            self.destinationPort = destinationPort
        }

        public var description: String {
            func at(_ a: IPAddress, _ p: UInt16) -> String { a.isV4 ? "\(a):\(p)" : "[\(a)]:\(p)" }
            return "\(at(source, sourcePort)) → \(at(destination, destinationPort))"
        }
    }

    /// A TCP segment from `src`:`sport` to `dst`:`dport` with `flags` (0x02 SYN, 0x10 ACK),
    /// from Ethernet `srcMAC` to `dstMAC` (by default the router's frame to the balancer).
    public static func tcp(from src: IPAddress, _ sport: UInt16, to dst: IPAddress, _ dport: UInt16,
                           flags: UInt8 = 0x10, payload: Int = 6,
                           srcMAC: MACAddress = routerMAC, dstMAC: MACAddress = balancerMAC) -> [UInt8] {
        let body = [UInt8](repeating: 0x75, count: payload)
        var tcp = be16(sport) + be16(dport) + [0, 0, 0, 1, 0, 0, 0, 1]
        tcp += [0x50, flags] + be16(64240) + [0, 0, 0, 0] // doff 5, flags, window, checksum, urgent
        tcp += body
        let sum = checksum(pseudoHeader(src, dst, length: tcp.count) + tcp)
        tcp[16] = UInt8(sum >> 8)
        tcp[17] = UInt8(sum & 0xFF)
        let l2 = dstMAC.bytes + srcMAC.bytes
        if src.isV4 {
            var ip: [UInt8] = [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0x12, 0x34, 0x40, 0, 64, 6, 0, 0]
            ip += src.bytes + dst.bytes
            let sum = checksum(ip)
            ip[10] = UInt8(sum >> 8)
            ip[11] = UInt8(sum & 0xFF)
            return l2 + [0x08, 0x00] + ip + tcp
        }
        var ip: [UInt8] = [0x60, 0, 0, 0] + be16(UInt16(tcp.count)) + [6, 64]
        ip += src.bytes + dst.bytes
        return l2 + [0x86, 0xDD] + ip + tcp
    }

    /// The addresses and ports of a TCP frame as `tcp` builds them (no VLAN tag, no IP options
    /// or extension headers), or nil for anything else.
    public static func endpoints(of frame: [UInt8]) -> Endpoints? {
        guard let (ip, l4, length) = layout(frame), frame.count >= l4 + 4 else { return nil }
        let srcAt = ip + (length == 4 ? 12 : 8), dstAt = srcAt + length
        let src = IPAddress(bytes: Array(frame[srcAt..<srcAt + length]))
        let dst = IPAddress(bytes: Array(frame[dstAt..<dstAt + length]))
        guard let src, let dst else { return nil }
        return Endpoints(source: src, sourcePort: UInt16(frame[l4]) << 8 | UInt16(frame[l4 + 1]),
                         destination: dst, destinationPort: UInt16(frame[l4 + 2]) << 8 | UInt16(frame[l4 + 3]))
    }

    /// The real's answer to `sent`, a TCP frame the balancer sent it: from its destination to
    /// its source (addresses, ports and MACs swapped), an ACK with a few bytes.
    public static func reply(to sent: [UInt8]) -> [UInt8]? {
        guard let e = endpoints(of: sent), let dst = MACAddress(bytes: Array(sent[6..<12])),
              let src = MACAddress(bytes: Array(sent[0..<6])) else { return nil }
        return tcp(from: e.destination, e.destinationPort, to: e.source, e.sourcePort, srcMAC: src, dstMAC: dst)
    }

    /// Whether a TCP frame's IPv4 header checksum (if IPv4) and TCP checksum are right.
    public static func checksumsValid(_ frame: [UInt8]) -> Bool {
        guard let (ip, l4, length) = layout(frame), let e = endpoints(of: frame) else { return false }
        if length == 4, checksum(Array(frame[ip..<l4])) != 0 { return false }
        let segment = Array(frame[l4...])
        return checksum(pseudoHeader(e.source, e.destination, length: segment.count) + segment) == 0
    }

    /// (IP header offset, TCP header offset, address length) of a TCP frame.
    private static func layout(_ frame: [UInt8]) -> (Int, Int, Int)? {
        guard frame.count >= 14 + 40 else { return nil }
        switch (frame[12], frame[13]) {
        case (0x08, 0x00) where frame[14] == 0x45 && frame[23] == 6: return (14, 34, 4)
        case (0x86, 0xDD) where frame[20] == 6 && frame.count >= 14 + 40 + 20: return (14, 54, 16)
        default: return nil
        }
    }

    static func pseudoHeader(_ src: IPAddress, _ dst: IPAddress, length: Int) -> [UInt8] {
        if src.isV4 { return src.bytes + dst.bytes + [0, 6] + be16(UInt16(length)) }
        return src.bytes + dst.bytes + [0, 0] + be16(UInt16(length)) + [0, 0, 0, 6]
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
