import NIOCore

/// Runs a connection's header and idle timers (see `ConnectionTimeoutState`). Sits first in
/// the pipeline, below the HTTP/1 parser, so it sees every byte that arrives; the request guard
/// tells it when a head is complete, when a request has ended and when a response is finished:
/// by calling `received(_:)` (found once, when the guard is added) rather than by outbound user
/// events, which crossed every handler between the two, three times per request. The events
/// are still understood, for a pipeline where the guard did not find this handler. Also answers a request line without an HTTP version with 400 at once
/// (`VersionlessLineCheck`), which the parser would leave unanswered until the header timeout.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = NIOAny
    typealias OutboundOut = ByteBuffer

    private var state = ConnectionTimeoutState()
    /// One scheduled task at a time, left in place across requests: arming a timer only
    /// moves `deadline`, and the task, when it fires early, waits again for the time left.
    /// A task is scheduled anew only when the deadline comes before it, so keep-alive
    /// requests schedule and cancel nothing (it was two tasks per request).
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    /// The running timer and when it expires; nil while none runs.
    private var deadline: (which: ConnectionTimeoutState.Timer, at: NIODeadline)?
    private let headerTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let onTimeout: (ConnectionTimeoutState.Timer) -> Void
    private var lineCheck: VersionlessLineCheck
    private let onVersionlessLine: () -> Void
    /// A versionless request line was refused: nothing more is read.
    private var refused = false

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, maxRequestLineBytes: Int = 8192,
         onTimeout: @escaping (ConnectionTimeoutState.Timer) -> Void = { _ in },
         onVersionlessLine: @escaping () -> Void = {}) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.onTimeout = onTimeout
        self.lineCheck = VersionlessLineCheck(maxLineBytes: maxRequestLineBytes)
        self.onVersionlessLine = onVersionlessLine
    }

    /// This handler's context while it is in a pipeline, for `received(_:)`.
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { perform(state.opened(), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(state.opened(), context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        stopTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let idle: Bool
        if case .awaitingRequest = state.state { idle = true } else { idle = false }
        if unwrapInboundIn(data).withUnsafeReadableBytes({ lineCheck.received($0, noResponseOutstanding: idle) }) {
            refuseVersionlessLine(context: context)
            return
        }
        perform(state.bytesReceived(), context: context)
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? ConnectionTimeoutEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        received(event, context: context)
        promise?.succeed(())
    }

    /// What the request guard tells of the exchange on this connection. Call on its event loop.
    func received(_ event: ConnectionTimeoutEvent) {
        guard let context else { return }
        received(event, context: context)
    }

    private func received(_ event: ConnectionTimeoutEvent, context: ChannelHandlerContext) {
        switch event {
        case .headReceived:
            lineCheck.headReceived()
            perform(state.headReceived(), context: context)
        case .requestEnded: lineCheck.requestEnded()
        case .responseCompleted: perform(state.responseCompleted(), context: context)
        }
    }

    /// 400 and close, reading nothing more: HTTP/0.9 is not served.
    private func refuseVersionlessLine(context: ChannelHandlerContext) {
        refused = true
        stopTimer()
        onVersionlessLine()
        writeAndClose(status: "400 Bad Request", "400 Bad Request: request line without an HTTP version (HTTP/0.9 is not served)\n",
                      context: context)
    }

    /// A whole response in bytes (the HTTP/1 encoder is above this handler), then close.
    private func writeAndClose(status: String, _ body: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: 160)
        buffer.writeString(
            "HTTP/1.1 \(status)\r\ncontent-type: text/plain; charset=utf-8\r\n"
                + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n" + body)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }

    private func perform(_ action: ConnectionTimeoutState.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .arm(let which):
            let at = context.eventLoop.now + (which == .header ? headerTimeout : idleTimeout)
            deadline = (which, at)
            if let firesAt = timerFiresAt, firesAt <= at { break }
            schedule(at: at, context: context)
        case .cancelTimer:
            deadline = nil
        case .respondTimeoutAndClose:
            writeAndClose(status: "408 Request Timeout", "408 Request Timeout: request head not received in time\n", context: context)
        case .close:
            context.close(promise: nil)
        }
    }

    private func schedule(at: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerFiresAt = at
        let loopBound = context.loopBound
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: at) { [self] in
            self.timer = nil
            self.timerFiresAt = nil
            guard let (which, at) = self.deadline else { return }
            if loopBound.value.eventLoop.now < at {
                self.schedule(at: at, context: loopBound.value)
                return
            }
            self.deadline = nil
            let action = self.state.timerFired(which)
            if action != .none { self.onTimeout(which) }
            self.perform(action, context: loopBound.value)
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        deadline = nil
    }
}
