import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import UsherCore

/// One health check of one member, on one event loop: connect within the timeout, send the pool's
/// PROXY header (LOCAL), do the pool's TLS handshake (verified as for requests), then for an HTTP
/// check send `GET path HTTP/1.1` (Host = the member's address) and compare the status. The whole
/// check, connect included, must finish within the timeout. The connection is always closed.
struct HealthProbe: Sendable {
    let kind: HealthCheckKind
    let timeoutSeconds: Double
    let member: PoolMember
    let proxyProtocol: ProxyProtocolVersion?
    let tls: UpstreamTLSSetup?

    /// The pool's re-encryption, or why it cannot be used (then every check fails with that reason).
    enum UpstreamTLSSetup: Sendable {
        case ready(NIOSSLContext, UpstreamTLS)
        case unusable(String)
    }

    init(check: HealthCheck, member: PoolMember, pool: Pool, tls: UpstreamTLSSetup?) {
        self.kind = check.kind
        self.timeoutSeconds = check.timeoutSeconds
        self.member = member
        self.proxyProtocol = pool.proxyProtocol
        self.tls = tls
    }

    /// The `Host` of the check request: `address:port`, IPv6 in brackets.
    var hostHeader: String {
        member.address.isV4 ? "\(member.address):\(member.port)" : "[\(member.address)]:\(member.port)"
    }

    /// Never fails: a failed check is `.failed(reason)`.
    func run(on eventLoop: EventLoop) -> EventLoopFuture<HealthProbeResult> {
        if case let .unusable(reason) = tls {
            return eventLoop.makeSucceededFuture(.failed("upstream TLS unusable: \(reason)"))
        }
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: "\(member.address)", port: Int(member.port))
        } catch {
            return eventLoop.makeSucceededFuture(.failed("not a socket address: \(error)"))
        }
        let timeout = TimeAmount.nanoseconds(Int64(timeoutSeconds * 1e9))
        let outcome = eventLoop.makePromise(of: HealthProbeResult.self)
        let seconds = timeoutSeconds
        let deadline = eventLoop.scheduleTask(in: timeout) {
            outcome.succeed(.failed("no answer within \(seconds) s"))
        }
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(to: address)
            .whenComplete { result in
                switch result {
                case let .failure(error):
                    outcome.succeed(.failed(Self.describeConnectError(error, seconds: seconds)))
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
        return outcome.futureResult.always { _ in deadline.cancel() }
    }

    /// After connecting: PROXY header, TLS, request. Runs on the channel's event loop.
    private func converse(on channel: Channel, outcome: EventLoopPromise<HealthProbeResult>) throws {
        let pipeline = channel.pipeline.syncOperations
        if let proxyProtocol {
            // Written before the TLS handler exists, so it precedes the ClientHello on the wire.
            let header = channel.allocator.buffer(bytes: ProxyProtocolLocalHeader.bytes(proxyProtocol))
            channel.writeAndFlush(header, promise: nil)
        }
        if case let .ready(context, settings) = tls {
            try pipeline.addHandler(try UpstreamTLSContext.makeHandler(context: context, settings: settings))
        }
        switch kind {
        case .none:
            outcome.succeed(.passed)
        case .https, .udp, .dns, .script:
            outcome.succeed(.failed("\(kind.name) checks are not run by the proxy"))
        case .tcp:
            if tls == nil {
                outcome.succeed(.passed)
            } else {
                try pipeline.addHandler(HealthHandshakeHandler(outcome: outcome))
            }
        case let .http(http):
            try pipeline.addHTTPClientHandlers()
            try pipeline.addHandler(HealthResponseHandler(expectStatus: http.expectStatus, outcome: outcome))
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: hostHeader)
            headers.add(name: "User-Agent", value: "usher-health-check")
            headers.add(name: "Connection", value: "close")
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: http.path, headers: headers)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
    }

    private static func describeConnectError(_ error: Error, seconds: Double) -> String {
        if case ChannelError.connectTimeout = error {
            return "connect timed out after \(seconds) s"
        }
        if let error = error as? IOError {
            return "connect failed: \(error.description)"
        }
        return "connect failed: \(error)"
    }
}
