import NIOCore
import NIOHTTP1
import UsherCore

/// The client side of the proxy: one per client connection (or HTTP/2 stream), after the
/// guards. For each request it asks the router, picks a member, takes a keep-alive
/// connection to it (or opens one), and splices the two with back-pressure both ways: the
/// client is read only while the real server can take bytes, and the real server only while
/// the client can. Client and real-server connections run on the same event loop.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamExchangeDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum Phase {
        case idle
        /// Opening (or leasing) a connection to the chosen member.
        case connecting
        case forwarding(UpstreamConnection)
        /// The proxy answered itself (or the real server finished early); the rest of the
        /// request body is read and dropped.
        case discardingRequest
        /// The connection became a WebSocket tunnel; this handler is leaving the pipeline.
        case tunneled
        case closed
    }

    let service: ServiceRuntime
    let loopContext: LoopContext
    let log: AccessLogBuffer
    /// This loop's counters of the service and its members.
    let stats: ServiceStatsView
    var context: ChannelHandlerContext?
    var phase: Phase = .idle
    var exchange: Exchange?
    /// Bumped per exchange, so a connect that completes after its exchange ended is ignored.
    var generation: UInt64 = 0
    var pendingRead = false
    var needsUpstreamFlush = false
    /// The request parser stopped after an upgrade request that was not spliced: restart it
    /// once the request's body has been read.
    var parserRestartPending = false
    var timeout: Scheduled<Void>?
    /// Connections that carry this client's PROXY header: reused only by this connection.
    var privateUpstreams: [ObjectIdentifier: UpstreamConnection] = [:]
    var clientAddress: SocketAddress?
    var localAddress: SocketAddress?

    init(service: ServiceRuntime, loopContext: LoopContext) {
        self.service = service
        self.loopContext = loopContext
        self.log = loopContext.logBuffer(for: service.accessLog)
        self.stats = loopContext.statsView(for: service)
    }

    /// The counters of the member that served (or is serving) the exchange, if any.
    var memberStats: LoopMemberStats? {
        guard let ex = exchange, let m = ex.servedBy, let pool = ex.pool else { return nil }
        return stats.member(m, of: pool)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // An HTTP/2 stream's addresses are its connection's.
        clientAddress = context.channel.remoteAddress ?? context.channel.parent?.remoteAddress
        localAddress = context.channel.localAddress ?? context.channel.parent?.localAddress
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): startExchange(head)
        case .body(let buffer): requestBody(buffer)
        case .end(let trailers): requestEnd(trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if needsUpstreamFlush, case .forwarding(let upstream) = phase {
            needsUpstreamFlush = false
            upstream.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        tearDown()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let aborted = event as? RequestAbortedEvent {
            abortExchange(status: aborted.status)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Client connection errors (reset, TLS failure) end everything on it.
        context.close(promise: nil)
    }

    // MARK: back-pressure

    /// Reads from the client only while the real server's connection can take the bytes.
    func read(context: ChannelHandlerContext) {
        switch phase {
        case .connecting:
            pendingRead = true
        case .forwarding(let upstream) where !upstream.channel.isWritable:
            pendingRead = true
        default:
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, case .forwarding(let upstream) = phase {
            upstream.handler.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeClientReads() }
    }

    func resumeClientReads() {
        guard pendingRead, let context else { return }
        pendingRead = false
        context.read()
    }

    func upstreamReadComplete() {
        context?.flush()
    }
}
