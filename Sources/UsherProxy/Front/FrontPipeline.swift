import NIOCore
import NIOHTTP1
import UsherCore

/// The handlers of a client connection of one service, in order:
///
///     ConnectionTimeoutHandler   bytes: header timeout (408), idle timeout, HTTP/0.9 (400)
///     HTTP/1 decoder + encoder   NIO (llhttp), with the service's head limits as a backstop
///     HTTPServerPipelineHandler  NIO: pipelined requests answered one at a time, in order
///     RequestGuardHandler        limits, smuggling checks, body timeout (408); parser errors → 4xx + close
///     ProxyHandler               route, schedule, forward
///
/// On an HTTP/2 stream channel (TLS with ALPN h2; the stream already speaks HTTP messages)
/// only the last two are added: the connection-level parts are the HTTP/2 handler's.
enum FrontPipeline {
    /// Call on the channel's event loop.
    static func configure(_ channel: Channel, service: ServiceRuntime, loopContext: LoopContext, isHTTP2Stream: Bool) throws {
        let sync = channel.pipeline.syncOperations
        let limits = service.limits
        let counters = service.counters
        let log = loopContext.logBuffer(for: service.accessLog)
        let stats = loopContext.statsView(for: service).service
        let name = service.name
        let client = channel.remoteAddress ?? channel.parent?.remoteAddress
        let onReject = { (rejection: Rejection, head: HTTPRequestHead?) in
            counters.rejectedRequests.add(1, ordering: .relaxed)
            stats.requests += 1
            stats.responses.count(rejection.status.code)
            log.append(AccessLogRecord(
                client: client, service: name, method: head?.method.rawValue ?? "-", target: head?.uri ?? "-",
                status: rejection.status.code, bytesSent: 0, realServer: nil, timeToFirstByte: nil, total: .zero))
        }
        if !isHTTP2Stream {
            try sync.addHandler(ConnectionTimeoutHandler(
                headerTimeout: .nanoseconds(Int64(limits.headerTimeoutSeconds * 1e9)),
                idleTimeout: .nanoseconds(Int64(limits.idleTimeoutSeconds * 1e9)),
                maxRequestLineBytes: limits.maxRequestLineBytes,
                onTimeout: { _ in counters.timeouts.add(1, ordering: .relaxed) },
                onVersionlessLine: { onReject(Rejection(status: .badRequest, reason: "request line without an HTTP version"), nil) }))
            try addHTTP1Codec(sync, limits: limits)
        }
        try sync.addHandler(RequestGuardHandler(limits: limits, http2Stream: isHTTP2Stream, onReject: onReject))
        try sync.addHandler(ProxyHandler(service: service, loopContext: loopContext))
    }

    /// NIO's HTTP/1 server codec and pipelining handler, without its error handler (the guard
    /// answers parser errors) and with the head limits as the parser's backstop: the guard
    /// answers 414/431 exactly for heads under it; above it the parser stops reading (431).
    ///
    /// Without NIO's outbound header validator (a handler every response part, flush and
    /// event crossed, and a scan of every field): a response head is one the real server's
    /// parser (llhttp, strict: token names, no control characters in values) accepted, plus
    /// fields the proxy writes from validated config and its own values.
    ///
    /// The (empty) upgrade configuration is there for one effect: the parser then hands on the
    /// bytes it holds past an upgrade request when it leaves the pipeline, which the WebSocket
    /// tunnel and the parser restart after a refused upgrade need. NIO's upgrade handler, having
    /// no upgrader, leaves at the first request.
    static func addHTTP1Codec(_ sync: ChannelPipeline.SynchronousOperations, limits: HTTPLimits,
                              position: ChannelPipeline.SynchronousOperations.Position = .last) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        let headBound = limits.maxRequestLineBytes + limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldSize = headBound
        decoderLimits.maxHeaderListSize = headBound
        decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount + 1
        try sync.configureHTTPServerPipeline(
            position: position, withPipeliningAssistance: true,
            withServerUpgrade: (upgraders: [], completionHandler: { _ in }), withErrorHandling: false,
            withOutboundHeaderValidation: false, withEncoderConfiguration: .init(), withDecoderLimitConfiguration: decoderLimits)
    }
}
