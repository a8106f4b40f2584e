import Foundation
import Testing
import UsherBPF
@testable import UsherSync

/// The sync message format: what is sent comes back equal, datagrams stay under the MTU, and
/// with a key only messages signed with that key and sent recently are accepted.
@Suite struct SyncCodecTests {
    static let now: UInt64 = 1_780_000_000_000

    static func v4(_ last: UInt8) -> [UInt8] { [192, 0, 2, last] + [UInt8](repeating: 0, count: 12) }
    static func v6(_ last: UInt8) -> [UInt8] { [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [last] }

    static let tracked = FlowRecord(kind: .tracked, family: 4, proto: 6, client: v4(7), clientPort: 40000, vip: v4(20), vipPort: 443,
                                    servicePort: 443, real: v4(11), realConfiguredPort: 0, ageMilliseconds: 1200)
    static let nat = FlowRecord(
        kind: .nat, family: 6, proto: 17, client: v6(7), clientPort: 5353, vip: v6(20), vipPort: 53, servicePort: 0, real: v6(11),
        realConfiguredPort: 5300, ageMilliseconds: 7,
        translation: .init(snatAddress: v6(3), snatPort: 20001, realPort: 5300, clientState: 1, replyState: 2,
                           replyAgeMilliseconds: 9, clientMAC: [2, 0, 0, 0, 0, 0xaa], interface: "eth0"))
    static let key = Array("0123456789abcdef0123456789abcdef".utf8)

    @Test func aMessageComesBackEqual() throws {
        let codec = SyncCodec(key: nil)
        let datagrams = codec.encode([Self.tracked, Self.nat], flags: .fullPass, sequence: 41, sentAtMilliseconds: Self.now)
        #expect(datagrams.count == 1)
        #expect(datagrams[0].count == 24 + 64 + 112)
        #expect(Array(datagrams[0].prefix(5)) == Array("USYN".utf8) + [1])
        let message = try codec.decode(datagrams[0], nowMilliseconds: Self.now).get()
        #expect(message == SyncMessage(flags: .fullPass, sequence: 41, sentAtMilliseconds: Self.now, flows: [Self.tracked, Self.nat]))
    }

    @Test func manyFlowsAreSplitIntoDatagramsUnderTheMTU() throws {
        let codec = SyncCodec(key: Self.key)
        let flows = (0..<100).map { i -> FlowRecord in
            var f = Self.nat
            f.clientPort = UInt16(1000 + i)
            return f
        }
        let datagrams = codec.encode(flows, flags: [], sequence: 0, sentAtMilliseconds: Self.now)
        #expect(datagrams.allSatisfy { $0.count <= SyncMessage.maxDatagramSize })
        let decoded = try datagrams.flatMap { try codec.decode($0, nowMilliseconds: Self.now).get().flows }
        #expect(decoded == flows)
        #expect(try datagrams.map { try codec.decode($0, nowMilliseconds: Self.now).get().sequence } == Array(0..<UInt32(datagrams.count)))
    }

    @Test func noFlowsIsOneHeartbeat() throws {
        let codec = SyncCodec(key: nil)
        let datagrams = codec.encode([], flags: [], sequence: 3, sentAtMilliseconds: Self.now)
        #expect(datagrams.count == 1 && datagrams[0].count == SyncMessage.headerSize)
        #expect(try codec.decode(datagrams[0], nowMilliseconds: Self.now).get().flows.isEmpty)
    }

    @Test func signedMessagesNeedTheSameKeyAndARecentClock() throws {
        let signer = SyncCodec(key: Self.key)
        let datagram = signer.encode(SyncMessage(sequence: 0, sentAtMilliseconds: Self.now, flows: [Self.nat]))
        #expect(datagram.count == 24 + 112 + 32)
        #expect(try signer.decode(datagram, nowMilliseconds: Self.now + 29_000).get().flows == [Self.nat])
        #expect(signer.decode(datagram, nowMilliseconds: Self.now + 31_000) == .failure(.stale))
        #expect(signer.decode(datagram, nowMilliseconds: Self.now - 31_000) == .failure(.stale))
        let other = SyncCodec(key: Array("another key, also long enough".utf8))
        #expect(other.decode(datagram, nowMilliseconds: Self.now) == .failure(.unauthenticated))
        #expect(SyncCodec(key: nil).decode(datagram, nowMilliseconds: Self.now) == .failure(.unauthenticated),
                "a balancer without a key refuses signed messages: the configs differ")
        let unsigned = SyncCodec(key: nil).encode(SyncMessage(sequence: 0, sentAtMilliseconds: Self.now, flows: [Self.nat]))
        #expect(signer.decode(unsigned, nowMilliseconds: Self.now) == .failure(.unauthenticated))
    }

    @Test func everyFlippedBitOfASignedMessageIsRefused() {
        let codec = SyncCodec(key: Self.key)
        let datagram = codec.encode(SyncMessage(sequence: 9, sentAtMilliseconds: Self.now, flows: [Self.tracked, Self.nat]))
        for byte in 0..<datagram.count {
            for bit in 0..<8 {
                var bad = datagram
                bad[byte] ^= UInt8(1 << bit)
                guard case .failure = codec.decode(bad, nowMilliseconds: Self.now) else {
                    Issue.record("byte \(byte) bit \(bit) flipped was accepted")
                    return
                }
            }
        }
    }
}
