import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import UsherCore
import UsherTestSupport

/// A real server for HTTP checks on 127.0.0.1 (or ::1): answers every request with the status
/// and body it is set to, optionally behind TLS; counts the requests and keeps their heads.
final class CheckedHTTPServer: Sendable {
    struct Answer: Sendable {
        var status: Int
        var body: String
    }

    let group: EventLoopGroup
    let channel: Channel
    private let shared: Shared

    /// What the connection handlers share with the test.
    private final class Shared: Sendable {
        let answer: Mutex<Answer>
        let heads = Mutex<[HTTPRequestHead]>([])

        init(_ answer: Answer) {
            self.answer = Mutex(answer)
        }
    }

    var port: UInt16 { UInt16(channel.localAddress?.port ?? 0) }

    init(group: EventLoopGroup, host: String = "127.0.0.1", status: Int = 200, body: String = "ok", tls: CertificateFiles? = nil) async throws {
        let shared = Shared(Answer(status: status, body: body))
        self.shared = shared
        self.group = group
        let context = try tls.map { files in
            try NIOSSLContext(configuration: .makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificatePath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: files.keyPath, format: .pem))))
        }
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Responder(shared: shared))
                }
            }
            .bind(host: host, port: 0).get()
    }

    func set(status: Int, body: String = "ok") {
        shared.answer.withLock { $0 = Answer(status: status, body: body) }
    }

    var requests: [HTTPRequestHead] { shared.heads.withLock { $0 } }

    func close() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let shared: Shared

        init(shared: Shared) {
            self.shared = shared
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(head):
                shared.heads.withLock { $0.append(head) }
            case .body:
                break
            case .end:
                let answer = shared.answer.withLock { $0 }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "\(answer.body.utf8.count)")
                headers.add(name: "Connection", value: "close")
                let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: answer.status), headers: headers)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: answer.body)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
            }
        }
    }
}
