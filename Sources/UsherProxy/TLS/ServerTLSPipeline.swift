import NIOCore
import NIOHTTP2
import NIOSSL
import UsherCore

/// TLS termination for an `https` service's client connections.
///
/// Adds the TLS handler (TLS 1.2/1.3, AEAD ciphers, the certificate chosen per handshake by SNI
/// from the store, ALPN from `alpn`), then waits for the handshake:
/// - ALPN `h2`: HTTP/2 server pipeline; each stream channel gets
///   `HTTP2FramePayloadToHTTP1ServerCodec` and then `configureHTTP1(streamChannel)`. Such a
///   channel reads `HTTPServerRequestPart` and writes `HTTPServerResponsePart` already (see
///   `isHTTP2Stream`); closing it resets/ends only that stream.
/// - `http/1.1` or no ALPN: `configureHTTP1(channel)` on the connection, which then reads and
///   writes the decrypted bytes (the caller adds its HTTP/1 codec).
///
/// Limits: a client that has not finished the handshake within `limits.headerTimeoutSeconds` is
/// closed; an HTTP/2 connection with no open stream for `limits.idleTimeoutSeconds` gets a GOAWAY
/// and is closed; HTTP/2 advertises at most 100 concurrent streams and a header list of
/// `limits.maxHeaderBytes`.
public enum ServerTLSPipeline {
    public static func configure(
        _ channel: Channel,
        store: CertificateStore,
        alpn: [ALPNProtocol],
        limits: HTTPLimits = HTTPLimits(),
        onHandshake: @escaping @Sendable (_ completed: Bool) -> Void = { _ in },
        configureHTTP1: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<Void> {
        let context: NIOSSLContext
        do {
            context = try store.serverContext(alpn: alpn)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        if channel.eventLoop.inEventLoop {
            return addHandlers(channel, context: context, limits: limits, onHandshake: onHandshake, configureHTTP1: configureHTTP1)
        }
        return channel.eventLoop.flatSubmit {
            addHandlers(channel, context: context, limits: limits, onHandshake: onHandshake, configureHTTP1: configureHTTP1)
        }
    }

    /// True for an HTTP/2 stream channel set up by `configure` (it carries HTTP messages, not
    /// bytes: add no HTTP/1 codec there). Call on the channel's event loop.
    public static func isHTTP2Stream(_ channel: Channel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: HTTP2FramePayloadToHTTP1ServerCodec.self)) != nil
    }

    private static func addHandlers(
        _ channel: Channel, context: NIOSSLContext, limits: HTTPLimits,
        onHandshake: @escaping @Sendable (_ completed: Bool) -> Void,
        configureHTTP1: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<Void> {
        do {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        // Slow or silent handshakes are the TLS form of slowloris: bound them like a request head.
        let handshakeDeadline = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limits.headerTimeoutSeconds * 1e9))) {
            channel.close(promise: nil)
        }
        // Loop-bound: set once the handshake completed (ALPN chose), read when the channel closes.
        let handshook = NIOLoopBoundBox(false, eventLoop: channel.eventLoop)
        channel.closeFuture.whenComplete { _ in
            handshakeDeadline.cancel()
            if !handshook.value { onHandshake(false) }
        }
        let completed: @Sendable (Channel) -> Void = { channel in
            handshakeDeadline.cancel()
            handshook.value = true
            onHandshake(true)
        }
        return channel.configureHTTP2SecureUpgrade(
            h2ChannelConfigurator: { channel in
                completed(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let tls = try channel.pipeline.syncOperations.context(handlerType: NIOSSLServerHandler.self)
                    try HTTP2ServerPipeline.addHandlers(channel, limits: limits, transport: tls, configureStream: configureHTTP1)
                }
            },
            http1ChannelConfigurator: { channel in
                completed(channel)
                return configureHTTP1(channel)
            }
        )
    }
}
