import CUsherABI
import UsherBPF

/// Where the flow of a TCP or UDP frame sits (Ethernet, IPv4 without options or IPv6 without
/// extension headers, no VLAN tag): what the benchmark harness needs to vary flows and to write
/// the connection-tracking keys the data plane will look up for them.
struct FrameLayout {
    let family: UInt8
    let sourceAddressOffset: Int
    let addressLength: Int
    let proto: UInt8
    let l4Offset: Int

    init(_ frame: [UInt8]) throws {
        func fail(_ why: String) -> BPFError {
            BPFError(call: "bench", subject: "frame of \(frame.count) bytes", message: why)
        }
        guard frame.count >= 14 else { throw fail("shorter than an Ethernet header") }
        switch (frame[12], frame[13]) {
        case (0x08, 0x00):
            guard frame.count >= 34, frame[14] == 0x45 else { throw fail("not an option-less IPv4 header") }
            family = UInt8(USHER_FAMILY_V4)
            sourceAddressOffset = 26
            addressLength = 4
            proto = frame[23]
            l4Offset = 34
        case (0x86, 0xDD):
            guard frame.count >= 54 else { throw fail("shorter than an IPv6 header") }
            family = UInt8(USHER_FAMILY_V6)
            sourceAddressOffset = 22
            addressLength = 16
            proto = frame[20]
            l4Offset = 54
        default:
            throw fail("neither IPv4 nor IPv6")
        }
        guard proto == 6 || proto == 17 else { throw fail("neither TCP nor UDP") }
        guard frame.count >= l4Offset + 4 else { throw fail("no room for the ports") }
    }

    /// The flow table's key of the frame's flow (usher_flow_key), as the data plane builds it when parsing.
    func flowKey(of frame: [UInt8]) -> usher_flow_key {
        var key = zeroed(usher_flow_key.self)
        setBytes(&key.src, Array(frame[sourceAddressOffset..<sourceAddressOffset + addressLength]))
        let dst = sourceAddressOffset + addressLength
        setBytes(&key.dst, Array(frame[dst..<dst + addressLength]))
        // Ports stay in network order: their two bytes as they are in the frame.
        key.sport = UInt16(frame[l4Offset]) | UInt16(frame[l4Offset + 1]) << 8
        key.dport = UInt16(frame[l4Offset + 2]) | UInt16(frame[l4Offset + 3]) << 8
        key.proto = proto
        key.family = family
        return key
    }
}
