import NIOCore
import NIOTLS

/// Passes a `tls` check once the handshake (with its verification) has completed.
final class TLSHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let outcome: EventLoopPromise<ProbeResult>

    init(outcome: EventLoopPromise<ProbeResult>) {
        self.outcome = outcome
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            outcome.succeed(.passed)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(.failed("connection closed during the TLS handshake"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        outcome.succeed(.failed(ProbeTLS.describe(error)))
        context.close(promise: nil)
    }
}
