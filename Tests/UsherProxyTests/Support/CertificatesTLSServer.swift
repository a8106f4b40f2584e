import NIOCore
import NIOHTTP1
import NIOPosix
import UsherCore
@testable import UsherProxy

/// The proxy's TLS front (`ServerTLSPipeline`) on 127.0.0.1, an ephemeral port, answering every
/// request itself with `200` and a body naming the path, the HTTP version and the stream kind:
/// `path=/x version=HTTP/2.0 h2stream=true`.
final class CertificatesTLSServer: Sendable {
    let group: MultiThreadedEventLoopGroup
    let channel: Channel
    let port: Int

    init(store: CertificateStore, alpn: [ALPNProtocol], limits: HTTPLimits = HTTPLimits()) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    ServerTLSPipeline.configure(channel, store: store, alpn: alpn, limits: limits) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let sync = channel.pipeline.syncOperations
                            let h2 = ServerTLSPipeline.isHTTP2Stream(channel)
                            if !h2 { try sync.configureHTTPServerPipeline() }
                            try sync.addHandler(TLSEchoResponder(h2stream: h2))
                        }
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            self.group = group
            self.channel = channel
            self.port = channel.localAddress?.port ?? 0
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

/// Answers each request with 200 and a one-line body describing it.
final class TLSEchoResponder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let h2stream: Bool
    private var head: HTTPRequestHead?

    init(h2stream: Bool) {
        self.h2stream = h2stream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            let body = "path=\(head.uri) version=\(head.version) h2stream=\(h2stream)\n"
            var headers = HTTPHeaders()
            headers.add(name: "Content-Length", value: "\(body.utf8.count)")
            headers.add(name: "Content-Type", value: "text/plain")
            let version = head.version.major == 2 ? head.version : HTTPVersion.http1_1
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            self.head = nil
        }
    }
}
