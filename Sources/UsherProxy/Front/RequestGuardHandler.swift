import Logging
import NIOCore
import NIOHTTP1
import UsherCore

/// Stands between NIO's HTTP/1 parser and the proxy: refuses requests that exceed the
/// service's limits or could be read two ways (see `RequestHeadValidator`), and answers
/// parser errors with the right status, then closes. A refused request is never passed on.
/// Replaces NIO's `HTTPServerProtocolErrorHandler` (which answers every error with 400).
/// Also bounds how long a request body may take (`RequestBodyClock`): 408 when it stops
/// coming, or a close once a response has started.
final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var state: RequestGuardState
    private let onReject: (Rejection, HTTPRequestHead?) -> Void
    private var currentHead: HTTPRequestHead?
    private var bodyClock: RequestBodyClock
    /// One task at a time for the body clock; it runs out only as late as the clock allows,
    /// and when it fires early it waits again for the time left.
    private var bodyTimer: Scheduled<Void>?
    private var bodyTimerAt: NIODeadline?

    /// `onReject` is told of each refusal of a request the proxy handler never saw (for the
    /// access log and counters); the proxy handler logs those it had started.
    init(limits: HTTPLimits, http2Stream: Bool = false,
         onReject: @escaping (Rejection, HTTPRequestHead?) -> Void = { _, _ in }) {
        self.state = RequestGuardState(limits: limits, http2Stream: http2Stream)
        self.onReject = onReject
        self.bodyClock = RequestBodyClock(timeout: .nanoseconds(Int64(limits.bodyTimeoutSeconds * 1e9)), minRate: limits.minBodyRate)
    }

    /// The connection's timeout handler, told of each head, request end and response end by a
    /// call; nil on an HTTP/2 stream (none there) or in a pipeline without one, where the
    /// guard sends outbound user events instead.
    private var timeouts: ConnectionTimeoutHandler?

    func handlerAdded(context: ChannelHandlerContext) {
        timeouts = try? context.pipeline.syncOperations.handler(type: ConnectionTimeoutHandler.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeouts = nil
        stopBodyTimer()
    }

    private func tellTimeouts(_ event: ConnectionTimeoutEvent, context: ChannelHandlerContext) {
        if let timeouts {
            timeouts.received(event)
        } else {
            context.triggerUserOutboundEvent(event, promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopBodyTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        let action: RequestGuardState.Action
        switch part {
        case .head(let head):
            currentHead = head
            tellTimeouts(.headReceived, context: context)
            action = state.head(head)
            if action == .forward { bodyClock.headPassed() }
        case .body(let buffer):
            action = state.body(count: buffer.readableBytes)
            if action == .forward { bodyClock.bodyReceived(buffer.readableBytes, at: context.eventLoop.now) }
        case .end:
            action = state.end()
            bodyClock.ended()
            tellTimeouts(.requestEnded, context: context)
        }
        switch action {
        case .forward:
            context.fireChannelRead(data)
        case .drop:
            break
        case .reject(let rejection, let respond):
            bodyClock.ended()
            refuse(context: context, rejection, respond: respond, headPassedOn: !isHead(part))
        }
    }

    /// A read passing here is the proxy waiting for the client (one it holds back, waiting on
    /// a real server, never comes here): the body clock runs.
    func read(context: ChannelHandlerContext) {
        if bodyClock.awaitingBody, bodyClock.waitingSince == nil {
            bodyClock.readRequested(at: context.eventLoop.now)
            armBodyTimer(context: context)
        }
        context.read()
    }

    private func armBodyTimer(context: ChannelHandlerContext) {
        guard let deadline = bodyClock.deadline else { return }
        if let at = bodyTimerAt, at <= deadline { return }
        bodyTimer?.cancel()
        bodyTimerAt = deadline
        let loopBound = context.loopBound
        bodyTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.bodyTimer = nil
            self.bodyTimerAt = nil
            let context = loopBound.value
            guard self.bodyClock.isExhausted(at: context.eventLoop.now) else {
                self.armBodyTimer(context: context)
                return
            }
            self.bodyClock.ended()
            if case .reject(let rejection, let respond) = self.state.bodyTimedOut() {
                self.refuse(context: context, rejection, respond: respond, headPassedOn: true)
            }
        }
    }

    private func stopBodyTimer() {
        bodyTimer?.cancel()
        bodyTimer = nil
        bodyTimerAt = nil
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
            tellTimeouts(.responseCompleted, context: context)
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
