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
    private var timer: Scheduled<Void>?
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
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
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
            timer?.cancel()
            let loopBound = context.loopBound
            let delay = which == .header ? headerTimeout : idleTimeout
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
                self.timer = nil
                let action = self.state.timerFired(which)
                if action != .none { self.onTimeout(which) }
                self.perform(action, context: loopBound.value)
            }
        case .cancelTimer:
            timer?.cancel()
            timer = nil
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
}
