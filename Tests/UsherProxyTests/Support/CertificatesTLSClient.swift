import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A TLS client connection to 127.0.0.1 for tests: what the handshake negotiated (version,
/// ALPN, the server's certificate) and plain HTTP/1.1 requests over it afterwards.
final class CertificatesTLSClient: Sendable {
    struct Closed: Error {}

    let channel: Channel
    let negotiatedProtocol: String?
    let tlsVersion: TLSVersion?
    let peerCertificate: NIOSSLCertificate?
    /// What a `raw` connection received.
    private let received: Received

    final class Received: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    /// Connects and completes the handshake (throws when the handshake fails). `serverName` is the
    /// SNI sent (nil: none).
    static func connect(
        port: Int, group: EventLoopGroup, configuration: TLSConfiguration, serverName: String?, raw: Bool = false
    ) async throws -> CertificatesTLSClient {
        let context = try NIOSSLContext(configuration: configuration)
        return try await connect(port: port, group: group, raw: raw) {
            try NIOSSLClientHandler(context: context, serverHostname: serverName)
        }
    }

    /// Connects with a TLS handler the caller builds (e.g. `UpstreamTLSContext.makeHandler`).
    /// `raw`: no HTTP/1 handlers; the bytes received are kept for `receivedUntilClosed`.
    static func connect(
        port: Int, group: EventLoopGroup, raw: Bool = false, makeHandler: @escaping @Sendable () throws -> NIOSSLClientHandler
    ) async throws -> CertificatesTLSClient {
        let received = Received()
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .connect(host: "127.0.0.1", port: port).get()
        do {
            let handshake = channel.eventLoop.makePromise(of: Handshake.self)
            try await channel.eventLoop.submit {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(try makeHandler())
                try sync.addHandler(HandshakeWaiter(promise: handshake, raw: raw ? received : nil))
            }.get()
            let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { handshake.fail(Closed()) }
            defer { timeout.cancel() }
            let done = try await handshake.futureResult.get()
            return CertificatesTLSClient(
                channel: channel, negotiated: done.negotiated, version: done.version, certificate: done.certificate,
                received: received)
        } catch {
            try? await channel.close()
            throw error
        }
    }

    private init(
        channel: Channel, negotiated: String?, version: TLSVersion?, certificate: NIOSSLCertificate?, received: Received
    ) {
        self.received = received
        self.channel = channel
        self.negotiatedProtocol = negotiated
        self.tlsVersion = version
        self.peerCertificate = certificate
    }

    /// The DNS subjectAltNames of the certificate the server presented.
    var peerDNSNames: [String] {
        peerCertificate?._subjectAlternativeNames().compactMap {
            $0.nameType == .dnsName ? String(decoding: $0.contents, as: UTF8.self) : nil
        } ?? []
    }

    /// Sends `GET path` over this connection and returns the status and body.
    func get(_ path: String) async throws -> (status: Int, body: String) {
        let promise = channel.eventLoop.makePromise(of: (status: Int, body: String).self)
        let channel = self.channel
        try await channel.eventLoop.submit {
            let collector = try channel.pipeline.syncOperations.handler(type: ResponseCollector.self)
            collector.pending.append(promise)
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "localhost")
            channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }.get()
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(5)) { promise.fail(Closed()) }
        defer { timeout.cancel() }
        return try await promise.futureResult.get()
    }

    /// Sends bytes as they are (a `raw` connection).
    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Waits (at most `limit`) for the server to close a `raw` connection; returns what it sent,
    /// or nil when it was still open at the limit.
    func receivedUntilClosed(limit: TimeAmount) async throws -> [UInt8]? {
        let closed = channel.eventLoop.makePromise(of: Bool.self)
        channel.closeFuture.whenComplete { _ in closed.succeed(true) }
        let giveUp = channel.eventLoop.scheduleTask(in: limit) { closed.succeed(false) }
        defer { giveUp.cancel() }
        guard try await closed.futureResult.get() else { return nil }
        return received.bytes.withLock { $0 }
    }

    func close() async {
        try? await channel.close()
    }
}

/// What the handshake settled, read when it completes (the server may close soon after).
private struct Handshake: Sendable {
    let negotiated: String?
    let version: TLSVersion?
    let certificate: NIOSSLCertificate?
}

private final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    let promise: EventLoopPromise<Handshake>
    let raw: CertificatesTLSClient.Received?

    init(promise: EventLoopPromise<Handshake>, raw: CertificatesTLSClient.Received?) {
        self.promise = promise
        self.raw = raw
    }

    /// Reads what was negotiated and puts the next handlers in place in the same turn, so no
    /// byte the server sends right after the handshake is missed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case let .handshakeCompleted(negotiated) = event {
            let sync = context.pipeline.syncOperations
            let tls = try? sync.handler(type: NIOSSLClientHandler.self)
            do {
                if let raw {
                    try sync.addHandler(ByteRecorder(received: raw))
                } else {
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ResponseCollector())
                }
                promise.succeed(Handshake(negotiated: negotiated, version: tls?.tlsVersion, certificate: tls?.peerCertificate))
            } catch {
                promise.fail(error)
            }
            sync.removeHandler(self, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(CertificatesTLSClient.Closed())
        context.fireChannelInactive()
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    var pending: [EventLoopPromise<(status: Int, body: String)>] = []
    private var status = 0
    private var body = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(head): status = Int(head.status.code); body = ""
        case var .body(buffer): body += buffer.readString(length: buffer.readableBytes) ?? ""
        case .end:
            if !pending.isEmpty { pending.removeFirst().succeed((status, body)) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        for promise in pending { promise.fail(error) }
        pending = []
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        for promise in pending { promise.fail(CertificatesTLSClient.Closed()) }
        pending = []
        context.fireChannelInactive()
    }
}

private final class ByteRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let received: CertificatesTLSClient.Received

    init(received: CertificatesTLSClient.Received) { self.received = received }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        received.bytes.withLock { $0 += bytes }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
