/// A UDP check: `send` goes to the real; it passes when a reply comes back within the timeout
/// and matches `expect`.
public struct UDPCheck: Hashable, Sendable, Codable {
    public var send: [UInt8]
    public var expect: UDPExpectation

    public init(send: [UInt8], expect: UDPExpectation = .anyReply) {
        self.send = send
        self.expect = expect
    }
}
