import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import UsherCore

/// A check over one TLS connection (`tls`, `https`), on a SwiftNIO channel: connect, the TLS
/// handshake (verified as the check says), and for `https` one HTTP/1.1 request whose answer
/// `HTTPCheckHandler` judges. The connection is closed once the outcome is known. (`tcp` and
/// plain `http` checks run on `SocketProber`, at a fraction of the cost.)
struct StreamProbe: Sendable {
    enum Exchange: Sendable {
        /// Passes once the TLS handshake completes.
        case handshake(NIOSSLContext, HealthCheckTLS)
        case http(HTTPCheck, tls: NIOSSLContext, HealthCheckTLS)
    }

    let destination: ProbeTarget
    let timeoutSeconds: Double
    /// A PROXY header (LOCAL) written first, before any TLS.
    let proxyProtocol: ProxyProtocolVersion?
    let exchange: Exchange

    func run(on eventLoop: EventLoop, outcome: EventLoopPromise<ProbeResult>) {
        guard let address = destination.socketAddress(failing: outcome) else { return }
        let seconds = timeoutSeconds
        ClientBootstrap(group: eventLoop).connectTimeout(.nanoseconds(Int64(seconds * 1e9)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(to: address)
            .whenComplete { result in
                switch result {
                case let .failure(error):
                    outcome.succeed(.failed(ProbeText.connectError(error, seconds: seconds)))
                case let .success(channel):
                    // The first result wins (NIO ignores later completions); the connection goes with it.
                    outcome.futureResult.whenComplete { _ in channel.close(promise: nil) }
                    do {
                        try self.converse(on: channel, outcome: outcome)
                    } catch {
                        outcome.succeed(.failed("cannot set up the check: \(error)"))
                    }
                }
            }
    }

    /// After connecting; runs on the channel's event loop.
    private func converse(on channel: Channel, outcome: EventLoopPromise<ProbeResult>) throws {
        if let proxyProtocol {
            // Written before the TLS handler exists, so it precedes the ClientHello on the wire.
            channel.writeAndFlush(channel.allocator.buffer(bytes: ProxyProtocolLocalHeader.bytes(proxyProtocol)), promise: nil)
        }
        let pipeline = channel.pipeline.syncOperations
        let http: HTTPCheck
        switch exchange {
        case let .handshake(context, settings):
            try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: settings.serverName))
            try pipeline.addHandler(TLSHandshakeHandler(outcome: outcome))
            return
        case let .http(check, context, settings):
            http = check
            try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: settings.serverName))
        }
        try pipeline.addHTTPClientHandlers()
        try pipeline.addHandler(HTTPCheckHandler(check: http, outcome: outcome))
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: http.host ?? destination.hostAndPort)
        headers.add(name: "User-Agent", value: "usher-health-check")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: http.method), uri: http.path, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }
}
