import NIOCore
import NIOHTTP1
import NIOPosix

struct TestRequest: Sendable {
    var method: HTTPMethod = .GET
    var uri: String = "/"
    var headers: [(String, String)] = []
    var body: String?

    init(_ method: HTTPMethod = .GET, _ uri: String = "/", headers: [(String, String)] = [], body: String? = nil) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}

struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: String
    var bodyBytes: Int

    /// The real server that answered (`x-real`), nil for the proxy's own answers.
    var real: String? { headers.first(name: "x-real") }

    /// A line `key=value` of the echo body.
    func echoed(_ key: String) -> [String] {
        body.split(separator: "\n").compactMap { line in
            line.hasPrefix(key + "=") ? String(line.dropFirst(key.count + 1)) : nil
        }
    }

    /// A request header as the real server received it.
    func receivedHeader(_ name: String) -> [String] { echoed("h:" + name.lowercased()) }
}

struct TestClientError: Error, CustomStringConvertible {
    var description: String
}

/// A keep-alive HTTP/1.1 client for tests: requests are written in order and responses matched
/// to them in order (so several may be pipelined).
final class TestHTTPClient: Sendable {
    let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    static func connect(to address: SocketAddress, group: EventLoopGroup) async throws -> TestHTTPClient {
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(TestResponseCollector())
                }
            }
            .connect(to: address).get()
        return TestHTTPClient(channel: channel)
    }

    func send(_ request: TestRequest, host: String = "www.example") async throws -> TestResponse {
        try await sendPipelined([request], host: host)[0]
    }

    /// Writes all requests at once, then waits for their responses.
    func sendPipelined(_ requests: [TestRequest], host: String = "www.example") async throws -> [TestResponse] {
        let promises = requests.map { _ in channel.eventLoop.makePromise(of: TestResponse.self) }
        for (r, p) in zip(requests, promises) {
            var headers = HTTPHeaders(r.headers)
            if !headers.contains(name: "host") { headers.add(name: "host", value: host) }
            if let body = r.body { headers.replaceOrAdd(name: "content-length", value: "\(body.utf8.count)") }
            channel.write(TestClientCommand(head: HTTPRequestHead(version: .http1_1, method: r.method, uri: r.uri, headers: headers),
                                            body: r.body, promise: p), promise: nil)
        }
        channel.flush()
        var out: [TestResponse] = []
        for p in promises { out.append(try await p.futureResult.get()) }
        return out
    }

    func close() async {
        try? await channel.close()
    }

    var isActive: Bool { channel.isActive }
}

struct TestClientCommand: Sendable {
    var head: HTTPRequestHead
    var body: String?
    var promise: EventLoopPromise<TestResponse>
}

final class TestResponseCollector: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = TestClientCommand
    typealias OutboundOut = HTTPClientRequestPart

    private var waiting: [EventLoopPromise<TestResponse>] = []
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        waiting.append(command.promise)
        context.write(wrapOutboundOut(.head(command.head)), promise: nil)
        if let b = command.body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: b)))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var b):
            body.writeBuffer(&b)
        case .end:
            guard let h = head, !waiting.isEmpty else { return }
            let p = waiting.removeFirst()
            let bytes = body.readableBytes
            let text = bytes <= 1 << 16 ? String(buffer: body) : ""
            p.succeed(TestResponse(status: Int(h.status.code), headers: h.headers, body: text, bodyBytes: bytes))
            head = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let error = TestClientError(description: "connection closed with \(waiting.count) response(s) missing")
        for p in waiting { p.fail(error) }
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        for p in waiting { p.fail(error) }
        waiting.removeAll()
        context.close(promise: nil)
    }
}
