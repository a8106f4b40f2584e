import NIOCore
import UsherCore

/// The PROXY protocol header a health check sends when its pool sends PROXY headers: the check
/// comes from the proxy itself, not for a client, so v1 says `UNKNOWN` and v2 says `LOCAL`
/// (receivers then use the connection's own addresses), as HAProxy's checks do.
enum ProxyProtocolLocalHeader {
    /// The 12-byte signature that starts every v2 header.
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    static func bytes(_ version: ProxyProtocolVersion) -> [UInt8] {
        switch version {
        case .v1:
            return Array("PROXY UNKNOWN\r\n".utf8)
        case .v2:
            // Version 2 + command LOCAL (0x20), family/transport UNSPEC (0x00), no address block.
            return v2Signature + [0x20, 0x00, 0x00, 0x00]
        }
    }
}
