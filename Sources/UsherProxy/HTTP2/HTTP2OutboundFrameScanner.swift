/// Follows the frames an HTTP/2 connection writes, byte by byte across writes, and reports each
/// GOAWAY with its error code: the one sign, outside NIO's handler, that it met a connection
/// error (it answers every one with a GOAWAY naming the error, RFC 9113 §5.4.1). The server
/// writes nothing but frames (its preface is a SETTINGS frame), so the walk starts aligned.
/// Frame payloads are skipped by their length, never looked into (a response body can hold
/// any bytes), but for the first 8 bytes of a GOAWAY's.
struct HTTP2OutboundFrameScanner {
    /// Frame header bytes read so far (a header may be split across writes).
    private var header: [UInt8] = []
    private var payloadLeft = 0
    /// The first payload bytes of the GOAWAY being read: last stream ID, error code.
    private var goAway: [UInt8]?

    static let goAwayType: UInt8 = 0x07

    /// The error code of a GOAWAY completed within `bytes` (the highest, if several), or nil.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        var found: UInt32?
        var i = 0
        while i < bytes.count {
            if payloadLeft == 0 {
                let take = min(9 - header.count, bytes.count - i)
                header.append(contentsOf: bytes[i..<(i + take)])
                i += take
                if header.count == 9 {
                    payloadLeft = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
                    goAway = header[3] == Self.goAwayType && payloadLeft >= 8 ? [] : nil
                    header.removeAll(keepingCapacity: true)
                }
                continue
            }
            let take = min(payloadLeft, bytes.count - i)
            if var g = goAway {
                g.append(contentsOf: bytes[i..<(i + min(8 - g.count, take))])
                if g.count == 8 {
                    let code = UInt32(g[4]) << 24 | UInt32(g[5]) << 16 | UInt32(g[6]) << 8 | UInt32(g[7])
                    found = max(found ?? 0, code)
                    goAway = nil
                } else {
                    goAway = g
                }
            }
            payloadLeft -= take
            i += take
        }
        return found
    }

    /// Payload bytes written without being looked at (a file region): they must be payload.
    mutating func skip(_ count: Int) {
        payloadLeft = max(0, payloadLeft - count)
    }
}
