import NIOCore
import NIOPosix
import Testing
import UsherCore
@testable import UsherProxy

/// A real server that answers with a malformed response head: the client must get 502 and
/// never the bad bytes (no header injected into the client's response, no response split).
/// The proxy writes responses without NIO's outbound header validator, so this is what keeps
/// them well-formed: the response parser toward the real refuses such heads.
@Suite(.timeLimit(.minutes(2))) struct RealResponseHeadTests {
    static let malformed: [(String, String)] = [
        ("an obsolete folded line", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\r\n Set-Cookie: injected=1\r\n\r\nok"),
        ("a bare CR in a field value", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\rSet-Cookie: injected=1\r\n\r\nok"),
        ("a bare LF in a field value", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\nSet-Cookie: injected=1\r\n\r\nok"),
        ("a NUL in a field value", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: a\u{0}Set-Cookie: injected=1\r\n\r\nok"),
        ("a space in a field name", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie injected: 1\r\n\r\nok"),
    ]

    @Test(arguments: malformed)
    func malformedHeadIs502(_ c: (String, String)) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let answer = c.1
        let real = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CannedAnswer(answer)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(real.localAddress?.port)
        defer { Task { try? await real.close(); try? await group.shutdownGracefully() } }
        try await withProxy(reals: []) { _ in
            [TestServices.http(pools: [Pool(name: "p",
                                            members: [PoolMember(address: .v4(127, 0, 0, 1), port: UInt16(port), weight: 1)],
                                            connectTimeoutSeconds: 2, responseTimeoutSeconds: 2)])]
        } _: { h in
            let reply = try await h.raw(["GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"])
            #expect(reply.status == 502, "\(c.0): \(reply.text.debugDescription)")
            #expect(!reply.text.lowercased().contains("injected"), "\(c.0): \(reply.text.debugDescription)")
        }
    }
}

/// Answers every read with the same bytes, then closes.
private final class CannedAnswer: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let answer: String

    init(_ answer: String) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).whenComplete { _ in context.close(promise: nil) }
    }
}
