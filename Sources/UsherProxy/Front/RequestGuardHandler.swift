import Logging
import NIOCore
import NIOHTTP1
import UsherCore

/// Stands between NIO's HTTP/1 parser and the proxy: refuses requests that exceed the
/// service's limits or could be read two ways (see `RequestHeadValidator`), and answers
/// parser errors with the right status, then closes. A refused request is never passed on.
/// Replaces NIO's `HTTPServerProtocolErrorHandler` (which answers every error with 400).
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var state: RequestGuardState
    private let onReject: (Rejection, HTTPRequestHead?) -> Void
    private var currentHead: HTTPRequestHead?

    /// `onReject` is told of each refusal of a request the proxy handler never saw (for the
    /// access log and counters); the proxy handler logs those it had started.
    init(limits: HTTPLimits, http2Stream: Bool = false,
         onReject: @escaping (Rejection, HTTPRequestHead?) -> Void = { _, _ in }) {
        self.state = RequestGuardState(limits: limits, http2Stream: http2Stream)
        self.onReject = onReject
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        let action: RequestGuardState.Action
        switch part {
        case .head(let head):
            currentHead = head
            context.triggerUserOutboundEvent(ConnectionTimeoutEvent.headReceived, promise: nil)
            action = state.head(head)
        case .body(let buffer):
            action = state.body(count: buffer.readableBytes)
        case .end:
            action = state.end()
        }
        switch action {
        case .forward:
            context.fireChannelRead(data)
        case .drop:
            break
        case .reject(let rejection, let respond):
            refuse(context: context, rejection, respond: respond, headPassedOn: !isHead(part))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let headPassedOn: Bool
        if case .inBody = state.state { headPassedOn = true } else { headPassedOn = false }
        if case .reject(let rejection, let respond) = state.parserError(parserError) {
            refuse(context: context, rejection, respond: respond, headPassedOn: headPassedOn)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: state.responseHeadWritten()
        case .end:
            state.responseEndWritten()
            context.write(data, promise: promise)
            context.triggerUserOutboundEvent(ConnectionTimeoutEvent.responseCompleted, promise: nil)
            return
        default: break
        }
        context.write(data, promise: promise)
    }

    private func isHead(_ part: HTTPServerRequestPart) -> Bool {
        if case .head = part { return true } else { return false }
    }

    private func refuse(context: ChannelHandlerContext, _ rejection: Rejection, respond: Bool, headPassedOn: Bool) {
        if headPassedOn {
            // The proxy handler has this request: it must drop it and write nothing more.
            context.fireUserInboundEventTriggered(RequestAbortedEvent(status: rejection.status))
        } else {
            onReject(rejection, currentHead)
        }
        guard respond, context.channel.isActive else {
            context.closeAfterPendingWrites()
            return
        }
        let loopBound = context.loopBound
        LocalResponse(rejection).write(to: context, wrap: wrapOutboundOut).assumeIsolated().whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}
