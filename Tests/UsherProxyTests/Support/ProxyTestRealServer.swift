import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// What a test real server received, as it parsed it.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var bodyBytes: Int
    /// The PROXY protocol header that opened its connection, if any (v1 text or v2 bytes).
    var proxyHeader: [UInt8]?

    func values(_ name: String) -> [String] {
        headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
    }
}

/// A real server for tests: a small NIO HTTP/1.1 server on 127.0.0.1 that answers with its
/// name (`x-real` and the body's first line) and echoes what it received, and records every
/// complete request. Requests steer it: `x-test-delay-ms`, `x-test-status`,
/// `x-test-response-bytes` (a body of that many bytes), `x-test-close` (answer and close),
/// `x-test-drop-next` (answer, then meet the next request on the connection with a close:
/// `silent` sends nothing, `partial` half a status line).
final class TestRealServer: Sendable {
    let name: String
    let address: SocketAddress
    private let channel: Channel
    let state: TestRealServerState

    var port: UInt16 { UInt16(address.port ?? 0) }

    private init(name: String, channel: Channel, state: TestRealServerState) {
        self.name = name
        self.channel = channel
        self.address = channel.localAddress!
        self.state = state
    }

    /// `delayMilliseconds`: every answer waits this long (a slow server), on top of any
    /// `x-test-delay-ms`.
    static func start(_ name: String, group: EventLoopGroup, port: Int = 0, delayMilliseconds: Int64 = 0) async throws -> TestRealServer {
        let state = TestRealServerState(delay: delayMilliseconds)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    state.connections.add(1, ordering: .relaxed)
                    let sync = channel.pipeline.syncOperations
                    let sniffer = ProxyHeaderSniffer()
                    try sync.addHandler(sniffer)
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(TestRealServerHandler(name: name, state: state, sniffer: sniffer))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        return TestRealServer(name: name, channel: channel, state: state)
    }

    /// Complete requests received (head to end).
    var completedRequests: Int { state.completed.load(ordering: .relaxed) }
    var acceptedConnections: Int { state.connections.load(ordering: .relaxed) }
    var closedConnections: Int { state.closed.load(ordering: .relaxed) }
    /// Requests being answered right now.
    var inFlight: Int { state.inFlight.load(ordering: .relaxed) }
    var received: [RecordedRequest] { state.requests.withLock { $0 } }

    func stop() async {
        try? await channel.close()
    }
}

final class TestRealServerState: Sendable {
    let delay: Int64
    let completed = Atomic<Int>(0)
    let connections = Atomic<Int>(0)
    let closed = Atomic<Int>(0)
    let inFlight = Atomic<Int>(0)
    /// Body bytes written by `x-test-stream-bytes` responses (as the socket took them).
    let streamed = Atomic<Int>(0)
    /// The most recent requests (at most 1,000 kept).
    let requests = Mutex<[RecordedRequest]>([])

    init(delay: Int64) {
        self.delay = delay
    }

    func record(_ r: RecordedRequest) {
        completed.add(1, ordering: .relaxed)
        requests.withLock {
            if $0.count >= 1000 { $0.removeFirst(500) }
            $0.append(r)
        }
    }
}

/// Strips a PROXY protocol header (v1 or v2) from the start of a connection and keeps it.
final class ProxyHeaderSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    var header: [UInt8]?
    private var buffered = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffered.writeBuffer(&incoming)
        let bytes = Array(buffered.readableBytesView)
        let v2: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
        var headerLength: Int?
        if bytes.starts(with: Array("PROXY ".utf8)) {
            guard let lf = bytes.firstIndex(of: 0x0A) else { return }
            headerLength = lf + 1
        } else if bytes.count >= 16, bytes.starts(with: v2) {
            let length = 16 + Int(bytes[14]) << 8 + Int(bytes[15])
            guard bytes.count >= length else { return }
            headerLength = length
        } else if bytes.count < 16, v2.starts(with: bytes.prefix(12)) || Array("PROXY ".utf8).starts(with: bytes.prefix(6)) {
            return // could still become a header
        }
        if let n = headerLength {
            header = Array(bytes[..<n])
            buffered.moveReaderIndex(forwardBy: n)
        }
        let rest = buffered
        buffered = ByteBuffer()
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

final class TestRealServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let state: TestRealServerState
    let sniffer: ProxyHeaderSniffer
    private var current: RecordedRequest?
    private var keepAlive = true
    /// Bytes still to send of a streamed response.
    private var streamRemaining = 0
    /// How to meet the next request: `silent` or `partial` (see `x-test-drop-next`).
    private var dropNext: String?

    init(name: String, state: TestRealServerState, sniffer: ProxyHeaderSniffer) {
        self.name = name
        self.state = state
        self.sniffer = sniffer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            keepAlive = h.isKeepAlive
            current = RecordedRequest(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) },
                                      bodyBytes: 0, proxyHeader: sniffer.header)
            if let stall = Int64(h.headers.first(name: "x-test-stall-ms") ?? "") {
                // Stop reading the body for a while (a busy server).
                let channel = context.channel
                channel.setOption(.autoRead, value: false).whenComplete { _ in
                    channel.eventLoop.scheduleTask(in: .milliseconds(stall)) {
                        channel.setOption(.autoRead, value: true).whenComplete { _ in channel.read() }
                    }
                }
            }
        case .body(let b):
            current?.bodyBytes += b.readableBytes
        case .end:
            guard let r = current else { return }
            current = nil
            state.record(r)
            if let drop = dropNext {
                if drop == "partial", let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
                    encoder.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 200")), promise: nil)
                }
                context.close(promise: nil)
                return
            }
            dropNext = r.values("x-test-drop-next").first
            state.inFlight.add(1, ordering: .relaxed)
            let delay = state.delay + (Int64(r.values("x-test-delay-ms").first ?? "") ?? 0)
            let loopBound = context.loopBound
            if delay > 0 {
                context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(delay)) { [self] in
                    self.respond(loopBound.value, to: r)
                }
            } else {
                respond(context, to: r)
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, to r: RecordedRequest) {
        state.inFlight.subtract(1, ordering: .relaxed)
        let status = Int(r.values("x-test-status").first ?? "") ?? 200
        let close = !keepAlive || r.values("x-test-close").first == "1"
        if let n = Int(r.values("x-test-stream-bytes").first ?? "") {
            // Written 64 KiB at a time, only while the socket takes them (like a real file server).
            let head = HTTPResponseHead(version: .http1_1, status: .ok,
                                        headers: HTTPHeaders([("x-real", name), ("content-length", "\(n)")]))
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            streamRemaining = n
            pump(context)
            return
        }
        var body = context.channel.allocator.buffer(capacity: 512)
        if let n = Int(r.values("x-test-response-bytes").first ?? "") {
            body.writeRepeatingByte(UInt8(ascii: "x"), count: n)
        } else {
            body.writeString("server=\(name)\nmethod=\(r.method)\nuri=\(r.uri)\nbody-bytes=\(r.bodyBytes)\n")
            for (n, v) in r.headers { body.writeString("h:\(n.lowercased())=\(v)\n") }
        }
        var headers = HTTPHeaders([("x-real", name), ("content-length", "\(body.readableBytes)"),
                                   ("keep-alive", "timeout=30"), ("x-hop", "1"), ("connection", "x-hop"),
                                   ("x-powered-by", "test")])
        if close { headers.add(name: "connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if close { loopBound.value.close(promise: nil) }
        }
    }

    private func pump(_ context: ChannelHandlerContext) {
        while streamRemaining > 0, context.channel.isWritable {
            let n = min(streamRemaining, 65536)
            var chunk = context.channel.allocator.buffer(capacity: n)
            chunk.writeRepeatingByte(UInt8(ascii: "s"), count: n)
            streamRemaining -= n
            state.streamed.add(n, ordering: .relaxed)
            context.write(wrapOutboundOut(.body(.byteBuffer(chunk))), promise: nil)
            if streamRemaining == 0 { context.write(wrapOutboundOut(.end(nil)), promise: nil) }
        }
        context.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if streamRemaining > 0 { pump(context) }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed.add(1, ordering: .relaxed)
        context.fireChannelInactive()
    }
}
