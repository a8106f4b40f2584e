import NIOCore
import NIOHTTP1
import UsherCore

/// The client side of the proxy: one per client connection (or HTTP/2 stream), after the
/// guards. For each request it asks the router, picks a member, takes a keep-alive
/// connection to it (or opens one), and splices the two with back-pressure both ways: the
/// client is read only while the real server can take bytes, and the real server only while
/// the client can. Client and real-server connections run on the same event loop.
/// Where each exchange stands is `ExchangeStateMachine`'s: this handler tells it every event
/// and performs the action it returns.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamExchangeDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let service: ServiceRuntime
    let loopContext: LoopContext
    let log: AccessLogBuffer
    /// This loop's counters of the service and its members.
    let stats: ServiceStatsView
    var context: ChannelHandlerContext?
    /// Where the exchange stands; this handler performs what its events return.
    var machine = ExchangeStateMachine<UpstreamConnection>()
    var timeout: Scheduled<Void>?
    var timeoutFiresAt: NIODeadline?
    /// How long the current exchange's real server may stay silent; nil when none is waited on.
    var timeoutLimit: TimeAmount?
    /// Connections that carry this client's PROXY header: reused only by this connection.
    var privateUpstreams: [ObjectIdentifier: UpstreamConnection] = [:]
    var clientAddress: SocketAddress?
    var localAddress: SocketAddress?
    /// The first handler of an HTTP/1 client connection (nil on an HTTP/2 stream): a read
    /// asked of it does not pass NIO's pipelining handler, which holds reads while a response
    /// is pending (see `readAheadAfterRequest`).
    var readAheadContext: ChannelHandlerContext?

    init(service: ServiceRuntime, loopContext: LoopContext) {
        self.service = service
        self.loopContext = loopContext
        self.log = loopContext.logBuffer(for: service.accessLog)
        self.stats = loopContext.statsView(for: service)
    }

    /// The counters of the member that served (or is serving) the exchange, if any.
    var memberStats: LoopMemberStats? {
        guard let ex = machine.exchange else { return nil }
        return memberStats(of: ex)
    }

    func memberStats(of ex: Exchange) -> LoopMemberStats? {
        guard let m = ex.servedBy, let pool = ex.pool else { return nil }
        return stats.member(m, of: pool)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // An HTTP/2 stream's addresses are its connection's.
        clientAddress = context.channel.remoteAddress ?? context.channel.parent?.remoteAddress
        localAddress = context.channel.localAddress ?? context.channel.parent?.localAddress
        readAheadContext = try? context.pipeline.syncOperations.context(handlerType: ConnectionTimeoutHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        tearDown()
        self.context = nil
        readAheadContext = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): startExchange(head)
        case .body(let buffer): requestBody(buffer)
        case .end(let trailers): requestEnd(trailers)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .flush(let upstream) = machine.clientReadComplete() { upstream.flush() }
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
        switch machine.readRequested() {
        case .read: context.read()
        case .hold: break
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let upstream = machine.upstream {
            upstream.handler.resumeReading()
        }
        context.fireChannelWritabilityChanged()
    }

    var clientIsWritable: Bool { context?.channel.isWritable ?? false }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable { resumeClientReads() }
    }

    func resumeClientReads() {
        guard let context, machine.heldReadMayResume() else { return }
        context.read()
    }

    /// A request arrived whole, straight from the socket: keep the client's read interest.
    /// NIO's pipelining handler holds reads until the response ends, so without this NIO
    /// drops the socket's read interest after every request and asks for it again after every
    /// response (two epoll_ctl calls per keep-alive request). Whatever arrives meanwhile is a
    /// pipelined request, which that handler buffers as it always did; bounded to one socket
    /// read, since requests it hands over from its buffer (while the end of a response is
    /// being written) do not read ahead again (the machine's `readAhead` is false for them),
    /// and it holds reads until its buffer is empty.
    func readAheadAfterRequest() {
        readAheadContext?.read()
    }

    func upstreamReadComplete() {
        context?.flush()
    }
}
