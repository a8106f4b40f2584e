import UsherBPF

/// One datagram of flow-state sync, version 1 (Docs/ARCHITECTURE.md, "Flow-state sync"). All
/// numbers are big-endian.
///
///     offset size
///      0      4   magic "USYN"
///      4      1   version (1)
///      5      1   flags: 0x01 part of a full pass, 0x02 signed (an HMAC-SHA256 trailer)
///      6      2   number of flows
///      8      4   length of the whole message, header, flows and trailer, in bytes
///     12      4   sequence number of the sender's messages (from 0 at its start)
///     16      8   sent at, in milliseconds since 1970 (the sender's wall clock)
///     24      …   the flows, each 64 bytes (tracked) or 112 bytes (nat), see `SyncWire`
///    end-32  32   when signed: HMAC-SHA256 with the shared key over every byte before it
///
/// An empty message (no flows) is a heartbeat: it tells the peer that this balancer is there.
public struct SyncMessage: Hashable, Sendable {
    public static let magic: [UInt8] = Array("USYN".utf8)
    public static let version: UInt8 = 1
    public static let headerSize = 24
    public static let trailerSize = 32
    /// A sender keeps its datagrams this small, so that they are never fragmented.
    public static let maxDatagramSize = 1400

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let fullPass = Flags(rawValue: 0x01)
        public static let signed = Flags(rawValue: 0x02)
    }

    public var flags: Flags
    public var sequence: UInt32
    public var sentAtMilliseconds: UInt64
    public var flows: [FlowRecord]

    public init(flags: Flags = [], sequence: UInt32, sentAtMilliseconds: UInt64, flows: [FlowRecord]) {
        self.flags = flags
        self.sequence = sequence
        self.sentAtMilliseconds = sentAtMilliseconds
        self.flows = flows
    }
}
