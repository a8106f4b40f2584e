import CNetlink

/// One netlink message: its header fields and its payload (a family header such as `rtmsg`,
/// then attributes). Builds requests and splits datagrams from the kernel, checking every
/// length against the bytes it has; a length that does not fit ends the parse, it is never
/// trusted.
struct NetlinkMessage {
    var type: UInt16
    var flags: UInt16
    var sequence: UInt32 = 0
    var portID: UInt32 = 0
    /// The bytes after the 16-byte `nlmsghdr`.
    var payload: [UInt8]

    static let headerSize = MemoryLayout<nlmsghdr>.size

    /// A request of `type` whose payload is `header` (e.g. an `rtmsg`) followed by `attributes`
    /// (type, value), each padded to 4 bytes.
    static func request<Header: BitwiseCopyable>(type: Int32, flags: Int32 = NLM_F_REQUEST, header: Header,
                                                 attributes: [(UInt16, [UInt8])] = []) -> NetlinkMessage {
        var payload = withUnsafeBytes(of: header) { Array($0) }
        payload += [UInt8](repeating: 0, count: align(payload.count) - payload.count)
        for (kind, value) in attributes {
            let length = MemoryLayout<rtattr>.size + value.count
            payload += withUnsafeBytes(of: UInt16(length)) { Array($0) } + withUnsafeBytes(of: kind) { Array($0) } + value
            payload += [UInt8](repeating: 0, count: align(length) - length)
        }
        return NetlinkMessage(type: UInt16(type), flags: UInt16(flags), payload: payload)
    }

    /// The message as it goes on the wire.
    var encoded: [UInt8] {
        var header = nlmsghdr()
        header.nlmsg_len = UInt32(Self.headerSize + payload.count)
        header.nlmsg_type = type
        header.nlmsg_flags = flags
        header.nlmsg_seq = sequence
        header.nlmsg_pid = portID
        return withUnsafeBytes(of: header) { Array($0) } + payload
    }

    /// The messages of one datagram, or nil if a length in it does not fit the bytes received.
    static func split(_ bytes: ArraySlice<UInt8>) -> [NetlinkMessage]? {
        var out: [NetlinkMessage] = []
        var offset = bytes.startIndex
        while bytes.endIndex - offset >= headerSize {
            let header = bytes[offset...].withUnsafeBytes { $0.loadUnaligned(as: nlmsghdr.self) }
            let length = Int(header.nlmsg_len)
            guard length >= headerSize, length <= bytes.endIndex - offset else { return nil }
            out.append(NetlinkMessage(type: header.nlmsg_type, flags: header.nlmsg_flags, sequence: header.nlmsg_seq,
                                      portID: header.nlmsg_pid, payload: Array(bytes[offset + headerSize ..< offset + length])))
            offset += min(align(length), bytes.endIndex - offset)
        }
        return out
    }

    /// The family header at the start of the payload, or nil if the payload is shorter.
    func header<Header: BitwiseCopyable>(as _: Header.Type) -> Header? {
        guard payload.count >= MemoryLayout<Header>.size else { return nil }
        return payload.withUnsafeBytes { $0.loadUnaligned(as: Header.self) }
    }

    /// The attributes after a family header of `Header`'s size, by type (flag bits masked off;
    /// the first of a repeated type wins). Stops at the first attribute whose length does not fit.
    func attributes<Header>(after _: Header.Type) -> [UInt16: [UInt8]] {
        Self.attributes(in: payload.dropFirst(Self.align(MemoryLayout<Header>.size)))
    }

    static func attributes(in bytes: ArraySlice<UInt8>) -> [UInt16: [UInt8]] {
        var out: [UInt16: [UInt8]] = [:]
        var offset = bytes.startIndex
        let attributeHeader = MemoryLayout<rtattr>.size
        while bytes.endIndex - offset >= attributeHeader {
            let attribute = bytes[offset...].withUnsafeBytes { $0.loadUnaligned(as: rtattr.self) }
            let length = Int(attribute.rta_len)
            guard length >= attributeHeader, length <= bytes.endIndex - offset else { break }
            let kind = attribute.rta_type & 0x3FFF // NLA_TYPE_MASK: without NLA_F_NESTED, NLA_F_NET_BYTEORDER
            if out[kind] == nil { out[kind] = Array(bytes[offset + attributeHeader ..< offset + length]) }
            offset += min(align(length), bytes.endIndex - offset)
        }
        return out
    }

    /// Netlink's 4-byte alignment (NLMSG_ALIGN, RTA_ALIGN).
    static func align(_ length: Int) -> Int { (length + 3) & ~3 }
}
