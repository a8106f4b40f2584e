import NIOCore
import NIOPosix

/// A client on raw bytes that keeps its connection: sends, then waits for what it expects.
struct TestTunnelClient: Sendable {
    let channel: Channel
    let collector: RawCollector

    static func connect(to address: SocketAddress, group: EventLoopGroup) async throws -> TestTunnelClient {
        let collector = RawCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(collector) } }
            .connect(to: address).get()
        return TestTunnelClient(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    func send(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer)
    }

    var received: [UInt8] { collector.state.withLock { $0.bytes } }
    var text: String { String(decoding: received, as: UTF8.self) }

    /// Waits (at most `seconds`) until `done` holds for everything received so far.
    @discardableResult
    func waitUntil(seconds: Double = 3, _ done: ([UInt8]) -> Bool) async throws -> Bool {
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        while NIODeadline.now() < deadline {
            if done(received) { return true }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return done(received)
    }

    /// Waits until the peer closed the connection; true if it did within `seconds`.
    func waitForClose(seconds: Double) async throws -> Bool {
        let deadline = NIODeadline.now() + .milliseconds(Int64(seconds * 1000))
        while channel.isActive, NIODeadline.now() < deadline {
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return !channel.isActive
    }

    /// The frames after the first response head (`\r\n\r\n`).
    var framesAfterHead: [WebSocketFrame] {
        let bytes = received
        guard let end = bytes.indices.dropLast(3).first(where: { bytes[$0...$0 + 3] == [13, 10, 13, 10] }) else { return [] }
        var rest = ByteBuffer(bytes: bytes[(end + 4)...])
        var frames: [WebSocketFrame] = []
        while let f = WebSocketFrame.take(from: &rest) { frames.append(f) }
        return frames
    }

    func close() async {
        try? await channel.close()
    }
}
