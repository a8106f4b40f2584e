/// What an XDP program decided for a frame (enum xdp_action).
public enum XDPVerdict: UInt32, Hashable, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case aborted = 0
    case drop = 1
    case pass = 2
    case tx = 3
    case redirect = 4

    /// The kernel's name: `XDP_TX`, …
    public var name: String {
        switch self {
        case .aborted: return "XDP_ABORTED"
        case .drop: return "XDP_DROP"
        case .pass: return "XDP_PASS"
        case .tx: return "XDP_TX"
        case .redirect: return "XDP_REDIRECT"
        }
    }

    public var description: String { name }
}
