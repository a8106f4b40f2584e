import Foundation
import Testing
import UsherBPF
@testable import UsherSync

/// Datagrams anyone on the segment could send: each is refused with a reason (which names its
/// counter), none crashes the decoder.
@Suite struct SyncHostileBytesTests {
    static let codec = SyncCodec(key: nil)
    static let now = SyncCodecTests.now
    static let good = codec.encode(SyncMessage(sequence: 1, sentAtMilliseconds: now,
                                               flows: [SyncCodecTests.tracked, SyncCodecTests.nat]))

    static func decode(_ bytes: [UInt8]) -> SyncDecodeError? {
        if case let .failure(error) = codec.decode(bytes, nowMilliseconds: now) { return error }
        return nil
    }

    /// `good` with `count` bytes at `offset` replaced (and the length field kept right).
    static func patched(_ offset: Int, _ bytes: [UInt8]) -> [UInt8] {
        var out = good
        out.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        return out
    }

    @Test func everyTruncationIsRefused() {
        for length in 0..<Self.good.count {
            #expect(Self.decode(Array(Self.good.prefix(length))) != nil, "first \(length) bytes")
        }
    }

    @Test func headerFieldsAreChecked() {
        #expect(Self.decode(Self.patched(0, Array("HTTP".utf8))) == .badMagic)
        #expect(Self.decode(Self.patched(4, [2])) == .unsupportedVersion(2))
        #expect(Self.decode(Self.patched(4, [2]))?.counter == "version")
        #expect(Self.decode(Self.patched(5, [0x80]))?.counter == "malformed")
        #expect(Self.decode(Self.patched(6, [0, 3])) == .badCount)
        #expect(Self.decode(Self.patched(6, [0, 1])) == .badCount)
        #expect(Self.decode(Self.patched(8, [0, 0, 0, 10])) == .badLength)
        #expect(Self.decode(Self.good + [0]) == .badLength)
    }

    @Test func flowFieldsAreChecked() {
        let flow = SyncMessage.headerSize, nat = SyncMessage.headerSize + 64
        #expect(Self.decode(Self.patched(flow, [9])) == .badField("flow kind 9"))
        #expect(Self.decode(Self.patched(flow + 1, [5])) == .badField("address family 5"))
        #expect(Self.decode(Self.patched(flow + 2, [1])) == .badField("protocol 1"))
        #expect(Self.decode(Self.patched(flow + 3, [1])) == .badField("reserved byte"))
        #expect(Self.decode(Self.patched(flow + 4 + 5, [1])) == .badField("IPv4 address with bytes after its fourth"))
        #expect(Self.decode(Self.patched(flow + 40, [0, 81])) == .badField("service port"))
        #expect(Self.decode(Self.patched(nat + 84, [0x10])) == .badField("NAT state"))
        #expect(Self.decode(Self.patched(nat + 96, Array("../../etc/passwd".utf8))) == .badField("interface name"))
        #expect(Self.decode(Self.patched(nat + 96, [0])) == .badField("interface name"))
        #expect(Self.decode(Self.patched(nat + 96 + 5, [0x41])) == .badField("interface name"), "bytes after the NUL")
        // A tracked flow where a nat one is announced: the message is one flow short.
        #expect(Self.decode(Self.patched(nat, [1])) == .badCount)
    }

    @Test func randomBytesNeverCrashAndAreRefused() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...300, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half of them start like a message, so that the flow parser is reached too.
            if Bool.random(using: &rng), bytes.count >= 12 {
                bytes.replaceSubrange(0..<6, with: Array("USYN".utf8) + [1, 0])
                let length = UInt32(bytes.count)
                bytes.replaceSubrange(8..<12, with: [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)])
            }
            _ = Self.codec.decode(bytes, nowMilliseconds: Self.now)
        }
        // Good messages with random bytes changed: refused or decoded, never a trap.
        for _ in 0..<20_000 {
            var bytes = Self.good
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = Self.codec.decode(bytes, nowMilliseconds: Self.now)
        }
    }
}
