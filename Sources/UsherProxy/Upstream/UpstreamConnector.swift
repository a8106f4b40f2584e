import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import UsherCore

/// Opens connections to the members of one pool: TCP, then the PROXY header if the pool asks
/// for it, TLS if it re-encrypts, the HTTP/1.1 client codec, and the `UpstreamHandler`.
struct UpstreamConnector: Sendable {
    let connectTimeout: TimeAmount
    let proxyProtocol: ProxyProtocolVersion?
    /// Re-encryption: the pool's context (built once) and its settings (SNI, verified name).
    let tls: (context: NIOSSLContext, settings: UpstreamTLS)?

    /// Opens a connection to `member` from `loop` and calls `completion` on that loop.
    /// `client` and `local` are the addresses a PROXY header reports.
    func connect(to member: PoolMemberRuntime, on loop: EventLoop, client: SocketAddress?,
                 local: SocketAddress?, completion: @escaping (Result<UpstreamConnection, Error>) -> Void) {
        let tls = self.tls
        let version = proxyProtocol
        ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let version {
                        var header = channel.allocator.buffer(capacity: 108)
                        ProxyProtocolHeader.encode(version, source: client, destination: local, into: &header)
                        try sync.addHandler(ProxyProtocolHandler(header: header))
                    }
                    if let tls {
                        try sync.addHandler(UpstreamTLSContext.makeHandler(context: tls.context, settings: tls.settings))
                    }
                    try sync.addHandler(UpstreamReadMeter())
                    // Bytes behind a 101 are handed on when the codec leaves (see `TunnelSplice`).
                    // No outbound header validator (a handler and a scan of every field per
                    // request): what goes out is a head `RequestHeadValidator` passed (field
                    // names tokens, values without control characters) plus fields the proxy
                    // writes from validated config, addresses and that head's own values.
                    try sync.addHTTPClientHandlers(leftOverBytesStrategy: .forwardBytes, enableOutboundHeaderValidation: false)
                    try sync.addHandler(UpstreamHandler())
                }
            }
            .connect(to: member.socketAddress)
            .assumeIsolated()
            .whenComplete { result in
                completion(result.flatMap { channel in
                    Result {
                        let sync = channel.pipeline.syncOperations
                        return UpstreamConnection(channel: channel, handler: try sync.handler(type: UpstreamHandler.self),
                                                  meter: try sync.handler(type: UpstreamReadMeter.self), member: member)
                    }
                })
            }
    }
}
