import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A WebSocket real server for tests, on raw bytes (no NIO HTTP codec): answers a handshake
/// (`Upgrade: websocket`) with 101 and, in the same write, a first frame `hello`; then echoes
/// each text frame as `echo:<text>` and answers a close frame by closing. With `refuse`, the
/// handshake gets `403` and the connection stays HTTP (a plain GET then gets `200 plain`).
/// With `floodBytes`, it sends that many bytes of binary frames after the 101, only while the
/// socket takes them (counting what it wrote).
final class TestWebSocketReal: Sendable {
    let channel: Channel
    let state: State

    final class State: Sendable {
        let refuse: Bool
        let floodBytes: Int
        let accepted = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
        let flooded = Atomic<Int>(0)
        /// Request heads received, as `(request line, [(lowercased name, value)])`.
        let heads = Mutex<[(line: String, headers: [(String, String)])]>([])

        init(refuse: Bool, floodBytes: Int) {
            self.refuse = refuse
            self.floodBytes = floodBytes
        }

        func header(_ name: String, ofRequest i: Int) -> String? {
            heads.withLock { $0.indices.contains(i) ? $0[i].headers.first { $0.0 == name }?.1 : nil }
        }
    }

    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    private init(channel: Channel, state: State) {
        self.channel = channel
        self.state = state
    }

    static func start(group: EventLoopGroup, refuse: Bool = false, floodBytes: Int = 0) async throws -> TestWebSocketReal {
        let state = State(refuse: refuse, floodBytes: floodBytes)
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    state.accepted.add(1, ordering: .relaxed)
                    try channel.pipeline.syncOperations.addHandler(TestWebSocketRealHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestWebSocketReal(channel: channel, state: state)
    }

    func stop() async {
        try? await channel.close()
    }
}

final class TestWebSocketRealHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let state: TestWebSocketReal.State
    private var buffered = ByteBuffer()
    private var upgraded = false
    private var floodLeft = 0

    init(state: TestWebSocketReal.State) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffered.writeBuffer(&incoming)
        while !upgraded, let head = takeHead() {
            answer(head, context: context)
        }
        if upgraded {
            while let frame = WebSocketFrame.take(from: &buffered) {
                if frame.opcode == 0x8 {
                    context.writeAndFlush(wrapOutboundOut(WebSocketFrame.encode(opcode: 0x8, payload: [], masked: false)), promise: nil)
                    context.close(promise: nil)
                    return
                }
                let reply = Array("echo:".utf8) + frame.payload
                context.write(wrapOutboundOut(WebSocketFrame.encode(opcode: 0x1, payload: reply, masked: false)), promise: nil)
            }
        }
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed.add(1, ordering: .relaxed)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        flood(context)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func takeHead() -> (line: String, headers: [(String, String)])? {
        let view = Array(buffered.readableBytesView)
        guard let end = view.indices.dropLast(3).first(where: { view[$0...$0 + 3] == [13, 10, 13, 10] }) else { return nil }
        buffered.moveReaderIndex(forwardBy: end + 4)
        let lines = String(decoding: view[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return (lines.first ?? "", headers)
    }

    private func answer(_ head: (line: String, headers: [(String, String)]), context: ChannelHandlerContext) {
        state.heads.withLock { $0.append(head) }
        let wantsUpgrade = head.headers.contains { $0.0 == "upgrade" && $0.1.lowercased().contains("websocket") }
        if wantsUpgrade, !state.refuse {
            upgraded = true
            var out = ByteBuffer(string: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 + "Sec-WebSocket-Accept: dGVzdA==\r\n\r\n")
            var hello = WebSocketFrame.encode(opcode: 0x1, payload: Array("hello".utf8), masked: false)
            out.writeBuffer(&hello)
            context.write(wrapOutboundOut(out), promise: nil)
            floodLeft = state.floodBytes
            flood(context)
            return
        }
        let (status, body) = wantsUpgrade ? ("403 Forbidden", "refused") : ("200 OK", "plain")
        context.write(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 \(status)\r\ncontent-length: \(body.utf8.count)\r\n\r\n\(body)")), promise: nil)
    }

    private func flood(_ context: ChannelHandlerContext) {
        while floodLeft > 0, context.channel.isWritable {
            let n = min(floodLeft, 60_000)
            floodLeft -= n
            state.flooded.add(n, ordering: .relaxed)
            context.write(wrapOutboundOut(WebSocketFrame.encode(opcode: 0x2, payload: [UInt8](repeating: 0x66, count: n), masked: false)), promise: nil)
        }
        context.flush()
    }
}

/// RFC 6455 §5.2 frames, as far as the tests need them (FIN set, no extensions).
struct WebSocketFrame {
    var opcode: UInt8
    var payload: [UInt8]

    static func encode(opcode: UInt8, payload: [UInt8], masked: Bool) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(0x80 | opcode)
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            b.writeInteger(maskBit | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            b.writeInteger(maskBit | 126)
            b.writeInteger(UInt16(payload.count))
        } else {
            b.writeInteger(maskBit | 127)
            b.writeInteger(UInt64(payload.count))
        }
        if masked {
            let key: [UInt8] = [0x12, 0x34, 0x56, 0x78]
            b.writeBytes(key)
            b.writeBytes(payload.enumerated().map { $0.element ^ key[$0.offset % 4] })
        } else {
            b.writeBytes(payload)
        }
        return b
    }

    /// The first complete frame in `buffer` (consumed), unmasked; nil if incomplete.
    static func take(from buffer: inout ByteBuffer) -> WebSocketFrame? {
        let v = Array(buffer.readableBytesView)
        guard v.count >= 2 else { return nil }
        var length = Int(v[1] & 0x7f)
        var at = 2
        if length == 126 {
            guard v.count >= 4 else { return nil }
            length = Int(v[2]) << 8 | Int(v[3]); at = 4
        } else if length == 127 {
            guard v.count >= 10 else { return nil }
            length = v[2..<10].reduce(0) { $0 << 8 | Int($1) }; at = 10
        }
        let masked = v[1] & 0x80 != 0
        let key = masked ? Array(v[at..<min(at + 4, v.count)]) : []
        if masked { at += 4 }
        guard v.count >= at + length else { return nil }
        var payload = Array(v[at..<at + length])
        if masked { payload = payload.enumerated().map { $0.element ^ key[$0.offset % 4] } }
        buffer.moveReaderIndex(forwardBy: at + length)
        return WebSocketFrame(opcode: v[0] & 0x0f, payload: payload)
    }
}
