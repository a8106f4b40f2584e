/// Why a received datagram was dropped. Each reason has its own counter.
public enum SyncDecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Shorter than its header, or than its fields say.
    case truncated
    case badMagic
    case unsupportedVersion(UInt8)
    /// The length field is not the datagram's size.
    case badLength
    /// Bytes left over after the flows the header counts (or too few flows).
    case badCount
    case badField(String)
    /// Not signed while this balancer has a key, signed while it has none, or a wrong MAC.
    case unauthenticated
    /// Signed, but sent more than `SyncCodec.maxClockSkew` from now: a replay, or clocks apart.
    case stale

    /// The counter name: malformed, version, unauthenticated or stale.
    public var counter: String {
        switch self {
        case .truncated, .badMagic, .badLength, .badCount, .badField: return "malformed"
        case .unsupportedVersion: return "version"
        case .unauthenticated: return "unauthenticated"
        case .stale: return "stale"
        }
    }

    public var description: String {
        switch self {
        case .truncated: return "truncated message"
        case .badMagic: return "not a sync message (bad magic)"
        case let .unsupportedVersion(v): return "unsupported version \(v)"
        case .badLength: return "length field does not match the datagram"
        case .badCount: return "flow count does not match the bytes"
        case let .badField(what): return "invalid \(what)"
        case .unauthenticated: return "not authenticated with this balancer's key"
        case .stale: return "sent too long ago (replayed, or the clocks disagree)"
        }
    }
}
