import NIOCore
import NIOHTTP1
import NIOHTTP2
import UsherCore

/// The HTTP/2 side of a client connection once ALPN chose `h2`: one multiplexed connection whose
/// streams each look like an HTTP/1 server channel (`HTTP2FramePayloadToHTTP1ServerCodec`), so the
/// proxy core handles both protocols with the same handlers. After a connection error (NIO
/// answers it with a GOAWAY) the connection stops reading and closes
/// (`HTTP2ConnectionErrorHandler`).
enum HTTP2ServerPipeline {
    /// At most this many streams at once per client connection (RFC 9113 recommends ≥ 100).
    static let maxConcurrentStreams = 100

    /// Adds the HTTP/2 handlers to `channel` (a decrypted connection). Call on its event loop.
    /// `transport`: the TLS handler's context, which a close after a connection error starts
    /// from (see `HTTP2ConnectionErrorHandler`).
    static func addHandlers(
        _ channel: Channel, limits: HTTPLimits, transport: ChannelHandlerContext? = nil,
        configureStream: @escaping @Sendable (Channel) -> EventLoopFuture<Void>
    ) throws {
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams),
            HTTP2Setting(parameter: .maxHeaderListSize, value: max(limits.maxHeaderBytes, 1024)),
        ]
        let idle = HTTP2IdleTimeoutHandler(timeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9)))
        let http2 = NIOHTTP2Handler(
            mode: .server,
            eventLoop: channel.eventLoop,
            connectionConfiguration: connection,
            streamConfiguration: .init(),
            streamDelegate: idle.streamDelegate(on: channel.eventLoop),
            inboundStreamInitializer: { stream in
                stream.eventLoop.makeCompletedFuture {
                    let sync = stream.pipeline.syncOperations
                    try sync.addHandler(HTTP2AuthorityHandler())
                    try sync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                }.flatMap {
                    configureStream(stream)
                }
            }
        )
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2ConnectionErrorHandler(transport: transport))
        try sync.addHandler(http2)
        try sync.addHandler(idle)
    }
}
