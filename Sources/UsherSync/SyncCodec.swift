import Crypto
import Foundation
import UsherBPF

/// Turns `SyncMessage`s into datagrams and back, signing and checking them with the shared
/// key when there is one. Decoding never traps: any byte string gives a message or an error.
public struct SyncCodec: Sendable {
    /// A signed message sent further than this from the receiver's clock is dropped as stale.
    public static let maxClockSkew: Int64 = 30_000

    private let key: SymmetricKey?

    /// `key`: the shared secret (`sync: key-file:`), nil to trust the segment.
    public init(key: [UInt8]?) {
        self.key = key.map { SymmetricKey(data: $0) }
    }

    public var signs: Bool { key != nil }

    /// Datagrams of at most `SyncMessage.maxDatagramSize` bytes carrying `flows` (one empty one
    /// when there are none: a heartbeat), numbered from `sequence` on.
    public func encode(_ flows: [FlowRecord], flags: SyncMessage.Flags, sequence: UInt32, sentAtMilliseconds: UInt64)
        -> [[UInt8]] {
        let room = SyncMessage.maxDatagramSize - SyncMessage.headerSize - SyncMessage.trailerSize
        var batches: [[FlowRecord]] = [[]]
        var used = 0
        for flow in flows {
            let size = SyncWire.size(of: flow)
            if used + size > room {
                batches.append([])
                used = 0
            }
            batches[batches.count - 1].append(flow)
            used += size
        }
        return batches.enumerated().map { i, batch in
            encode(SyncMessage(flags: flags, sequence: sequence &+ UInt32(i), sentAtMilliseconds: sentAtMilliseconds, flows: batch))
        }
    }

    /// One datagram of `message` (which must fit: see `encode(_:flags:sequence:sentAtMilliseconds:)`).
    public func encode(_ message: SyncMessage) -> [UInt8] {
        var flags = message.flags
        if key != nil { flags.insert(.signed) } else { flags.remove(.signed) }
        let length = SyncMessage.headerSize + message.flows.reduce(0) { $0 + SyncWire.size(of: $1) }
            + (key != nil ? SyncMessage.trailerSize : 0)
        var out = SyncMessage.magic
        out.reserveCapacity(length)
        out.append(SyncMessage.version)
        out.append(flags.rawValue)
        SyncWire.append16(UInt16(clamping: message.flows.count), to: &out)
        SyncWire.append32(UInt32(length), to: &out)
        SyncWire.append32(message.sequence, to: &out)
        SyncWire.append64(message.sentAtMilliseconds, to: &out)
        for flow in message.flows { SyncWire.append(flow, to: &out) }
        if let key { out.append(contentsOf: HMAC<SHA256>.authenticationCode(for: out, using: key)) }
        return out
    }

    /// The message in `datagram`, checked: its shape, every field, and when this balancer has a
    /// key, its signature and age against `nowMilliseconds` (wall clock).
    public func decode(_ datagram: [UInt8], nowMilliseconds: UInt64) -> Result<SyncMessage, SyncDecodeError> {
        var r = ByteReader(bytes: datagram[...], offset: 0)
        guard let magic = r.bytes(4), let version = r.u8(), let flagByte = r.u8(), let count = r.u16(), let length = r.u32(),
              let sequence = r.u32(), let sentAt = r.u64()
        else { return .failure(.truncated) }
        guard magic == SyncMessage.magic else { return .failure(.badMagic) }
        guard version == SyncMessage.version else { return .failure(.unsupportedVersion(version)) }
        guard Int(length) == datagram.count else { return .failure(.badLength) }
        let flags = SyncMessage.Flags(rawValue: flagByte)
        guard flags.subtracting([.fullPass, .signed]).isEmpty else { return .failure(.badField("flags")) }
        // Authenticate before reading any flow: an unsigned stranger's bytes are not parsed.
        var end = datagram.count
        if let key {
            guard flags.contains(.signed), datagram.count >= SyncMessage.headerSize + SyncMessage.trailerSize else {
                return .failure(.unauthenticated)
            }
            end -= SyncMessage.trailerSize
            guard HMAC<SHA256>.isValidAuthenticationCode(datagram[end...], authenticating: datagram[..<end], using: key) else {
                return .failure(.unauthenticated)
            }
            let skew = Int64(truncatingIfNeeded: nowMilliseconds) &- Int64(truncatingIfNeeded: sentAt)
            guard skew.magnitude <= UInt64(Self.maxClockSkew) else { return .failure(.stale) }
        } else if flags.contains(.signed) {
            return .failure(.unauthenticated)
        }
        let body = datagram[..<end]
        var flows: [FlowRecord] = []
        var offset = SyncMessage.headerSize
        while offset < body.count {
            guard flows.count < Int(count) else { return .failure(.badCount) }
            switch SyncWire.read(body, at: offset) {
            case let .success((flow, size)):
                flows.append(flow)
                offset += size
            case let .failure(error):
                return .failure(error)
            }
        }
        guard flows.count == Int(count) else { return .failure(.badCount) }
        return .success(SyncMessage(flags: flags.subtracting(.signed), sequence: sequence, sentAtMilliseconds: sentAt, flows: flows))
    }
}
