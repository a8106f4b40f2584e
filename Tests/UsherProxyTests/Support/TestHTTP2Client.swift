import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL

/// An HTTP/2 client over TLS (ALPN h2) to 127.0.0.1 that sends request header blocks exactly as
/// given (say, `host` and no `:authority`, which curl never sends): one request per stream.
final class TestHTTP2Client: Sendable {
    struct Response: Sendable {
        var status: Int?
        var body = ""
        /// The stream was reset (RST_STREAM) with this code instead of answered.
        var reset: HTTP2ErrorCode?
    }

    struct Closed: Error {}

    let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    /// `serverName`: the SNI sent. The server's certificate is checked against `caPath`.
    static func connect(port: Int, group: EventLoopGroup, caPath: String, serverName: String) async throws -> TestHTTP2Client {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caPath)
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                    _ = try sync.configureHTTP2Pipeline(
                        mode: .client, connectionConfiguration: .init(), streamConfiguration: .init(),
                        inboundStreamInitializer: { $0.close() })
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return TestHTTP2Client(channel: channel)
    }

    /// Sends `headers` (pseudo-header fields included, as given) with END_STREAM on a new stream
    /// and waits (at most 5 s) for the whole answer or a reset.
    func request(_ headers: HPACKHeaders) async throws -> Response {
        let channel = self.channel
        let done = channel.eventLoop.makePromise(of: Response.self)
        try await channel.eventLoop.submit {
            let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
            multiplexer.createStreamChannel { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(StreamCollector(done: done))
                }
            }.whenComplete { result in
                switch result {
                case .success(let stream):
                    stream.writeAndFlush(HTTP2Frame.FramePayload.headers(.init(headers: headers, endStream: true)), promise: nil)
                case .failure(let error):
                    done.fail(error)
                }
            }
        }.get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { done.fail(Closed()) }
        defer { timeout.cancel() }
        return try await done.futureResult.get()
    }

    func close() async {
        try? await channel.close()
    }
}

/// Collects one stream's answer: `:status`, the DATA, END_STREAM or RST_STREAM.
private final class StreamCollector: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload

    private let done: EventLoopPromise<TestHTTP2Client.Response>
    private var response = TestHTTP2Client.Response()
    private var finished = false

    init(done: EventLoopPromise<TestHTTP2Client.Response>) {
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .headers(let h):
            if let status = h.headers.first(name: ":status") { response.status = Int(status) }
            if h.endStream { finish() }
        case .data(let d):
            if case .byteBuffer(let b) = d.data { response.body += String(buffer: b) }
            if d.endStream { finish() }
        case .rstStream(let code):
            response.reset = code
            finish()
        default:
            break
        }
    }

    /// A reset reaches the stream channel as this error.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let closed = error as? NIOHTTP2Errors.StreamClosed { response.reset = closed.errorCode }
        finish()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        done.succeed(response)
    }
}
