import NIOCore

/// Runs a connection's header and idle timers (see `ConnectionTimeoutState`). Sits first in
/// the pipeline, below the HTTP/1 parser, so it sees every byte that arrives; the request guard
/// tells it (outbound user events) when a head is complete and when a response is finished.
final class ConnectionTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny
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

    init(headerTimeout: TimeAmount, idleTimeout: TimeAmount, onTimeout: @escaping (ConnectionTimeoutState.Timer) -> Void = { _ in }) {
        self.headerTimeout = headerTimeout
        self.idleTimeout = idleTimeout
        self.onTimeout = onTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { perform(state.opened(), context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(state.opened(), context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        perform(state.bytesReceived(), context: context)
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? ConnectionTimeoutEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .headReceived: perform(state.headReceived(), context: context)
        case .responseCompleted: perform(state.responseCompleted(), context: context)
        }
        promise?.succeed(())
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
            let body = "408 Request Timeout: request head not received in time\n"
            var buffer = context.channel.allocator.buffer(capacity: 160)
            buffer.writeString(
                "HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    + "content-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n" + body)
            let loopBound = context.loopBound
            context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
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
