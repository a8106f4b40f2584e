import NIOCore
import NIOHTTP2

/// Closes an HTTP/2 connection that has had no open stream for `timeout`: a GOAWAY naming the last
/// stream it accepted, then close. Streams in progress keep the connection open however long they
/// take (their own limits bound them). Sits right after `NIOHTTP2Handler`, which reports stream
/// creation and closure through `streamDelegate(on:)`.
final class HTTP2IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame
    typealias InboundOut = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let timeout: TimeAmount
    private var state = HTTP2IdleState()
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    /// The delegate to give `NIOHTTP2Handler`; it calls back on `eventLoop`, the channel's.
    func streamDelegate(on eventLoop: EventLoop) -> NIOHTTP2StreamDelegate {
        StreamDelegate(handler: NIOLoopBound(self, eventLoop: eventLoop))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        arm()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    fileprivate func streamCreated(_ id: HTTP2StreamID) {
        if state.streamOpened(id) {
            timer?.cancel()
            timer = nil
        }
    }

    fileprivate func streamClosed(_ id: HTTP2StreamID) {
        if state.streamClosed() { arm() }
    }

    private func arm() {
        guard let context, context.channel.isActive else { return }
        timer?.cancel()
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.expire()
        }
    }

    private func expire() {
        timer = nil
        guard let context, state.isIdle else { return }
        let goAway = HTTP2Frame(
            streamID: .rootStream,
            payload: .goAway(lastStreamID: state.lastStreamID, errorCode: .noError, opaqueData: nil))
        context.writeAndFlush(wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private struct StreamDelegate: NIOHTTP2StreamDelegate {
        let handler: NIOLoopBound<HTTP2IdleTimeoutHandler>

        func streamCreated(_ id: HTTP2StreamID, channel: Channel) {
            handler.value.streamCreated(id)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: Channel) {
            handler.value.streamClosed(id)
        }
    }
}
