import NIOCore
import NIOPosix
import NIOSSL
import UsherCore

/// A check over one TLS connection (`tls`, `https`), on a SwiftNIO channel: connect, the TLS
/// handshake (verified as the check says), and for `https` one HTTP/1.1 request whose answer
/// `HTTPAnswer` judges, as for `http` (through `HTTPCheckHandler`). The connection is closed
/// once the outcome is known. (`tcp` and plain `http` checks run on `SocketProber`.)
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
        switch exchange {
        case let .handshake(context, settings):
            try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: settings.serverName))
            try pipeline.addHandler(TLSHandshakeHandler(outcome: outcome))
        case let .http(check, context, settings):
            try pipeline.addHandler(try NIOSSLClientHandler(context: context, serverHostname: settings.serverName))
            try pipeline.addHandler(HTTPCheckHandler(answer: HTTPAnswer(check: check), outcome: outcome))
            channel.writeAndFlush(channel.allocator.buffer(bytes: HTTPAnswer.request(check, defaultHost: destination.hostAndPort)),
                                  promise: nil)
        }
    }
}
