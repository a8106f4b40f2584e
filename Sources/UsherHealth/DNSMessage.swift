/// The little of the DNS wire format (RFC 1035 §4.1) a check needs: one query, and the id and
/// rcode of a reply.
enum DNSMessage {
    /// A recursive query for `name` of `type`, class IN.
    static func query(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            let utf8 = Array(label.utf8.prefix(63))
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        bytes += [UInt8(type >> 8), UInt8(type & 0xff), 0, 1]
        return bytes
    }

    /// The id and rcode of a response; nil when `bytes` is no DNS response.
    static func reply(_ bytes: [UInt8]) -> (id: UInt16, rcode: UInt8)? {
        guard bytes.count >= 12, bytes[2] & 0x80 != 0 else { return nil }
        return (UInt16(bytes[0]) << 8 | UInt16(bytes[1]), bytes[3] & 0x0f)
    }
}
